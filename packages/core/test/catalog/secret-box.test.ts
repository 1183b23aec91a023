import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBackupError, loadOrCreateSecretKey, SecretBox } from '@backupkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { maskConnectionString } from '../../src/catalog/connection-string-mask.js';

const dir = mkdtempSync(join(tmpdir(), 'bk-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: Array<[string, string]> = [
  ['postgresql://user:s3cr%40t@db.example.com:5432/app', 'postgresql://user:***@db.example.com:5432/app'],
  ['postgresql://user:pw@host/db', 'postgresql://user:***@host/db'],
  ['postgres://user@host:5432/db', 'postgres://user@host:5432/db'],
  [
    'postgresql://host/db?user=u&password=hunter2&sslmode=require',
    'postgresql://host/db?user=u&password=***&sslmode=require',
  ],
  [
    'postgresql://u:p1@h1:5432,h2:5433/db?sslpassword=k3y',
    'postgresql://u:***@h1:5432,h2:5433/db?sslpassword=***',
  ],
  ['postgresql://u:p@ss/w?rd@host/db', 'postgresql://u:***@host/db'],
  [
    'host=db port=5432 user=app password=topsecret dbname=app',
    'host=db port=5432 user=app password=*** dbname=app',
  ],
  ["host=db password = 'it\\'s \\\\ spaced' dbname=app", 'host=db password = *** dbname=app'],
  [
    'postgresql://u:pw@h/db?application_name=me@x&password=p2',
    'postgresql://u:***@h/db?application_name=me@x&password=***',
  ],
  ['Server=db;User Id=app;Password=x;y;Database=d', 'Server=db;User Id=app;Password=***;y;Database=d'],
  ['/var/run/postgresql', '/var/run/postgresql'],
];

describe('maskConnectionString', () => {
  it.each(cases)('masks %s', (input, masked) => {
    expect(maskConnectionString(input)).toBe(masked);
    expect(SecretBox.mask(input)).toBe(masked);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it.each(cases)(
    'seals and reopens %s byte for byte, without the password in the stored form',
    (input, masked) => {
      const sealed = box.sealConnectionString(input);
      expect(sealed.masked).toBe(masked);
      if (input === masked) expect(sealed.sealed).toBeNull();
      else {
        expect(sealed.sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
        expect(sealed.masked).not.toMatch(/hunter2|topsecret|s3cr|k3y/);
        // The blob is random base64url, which may spell anything: look at its bytes instead.
        const raw = Buffer.from((sealed.sealed as string).slice('enc:v1:'.length), 'base64url');
        for (const secret of ['hunter2', 'topsecret', 's3cr', 'k3y'])
          expect(raw.includes(secret)).toBe(false);
      }
      expect(box.openConnectionString(sealed)).toBe(input);
      expect(box.openConnectionString(JSON.parse(JSON.stringify(sealed)))).toBe(input);
    },
  );

  it('uses a fresh IV per value and refuses other keys and tampering', () => {
    const a = box.seal('pässwörd 🔑');
    expect(a).not.toBe(box.seal('pässwörd 🔑'));
    expect(box.open(a)).toBe('pässwörd 🔑');
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(a)).toThrow(expect.objectContaining({ code: 'key_mismatch' }));
    const tampered = `${a.slice(0, -2)}${a.endsWith('A') ? 'B' : 'A'}${a.slice(-1)}`;
    expect(() => box.open(tampered)).toThrow(expect.objectContaining({ code: 'key_mismatch' }));
    expect(() => box.open('plain')).toThrow(expect.objectContaining({ code: 'unsupported_format' }));
    const sealed = box.sealConnectionString('postgresql://u:pw@h/db');
    expect(() => box.openConnectionString({ ...sealed, masked: 'postgresql://u:xx@h/db' })).toThrow(
      expect.objectContaining({ code: 'integrity_error' }),
    );
    expect(() => new SecretBox(randomBytes(16))).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });

  it('error messages never carry the secret', () => {
    const sealed = box.seal('topsecret');
    try {
      new SecretBox(randomBytes(32)).open(sealed);
      expect.unreachable();
    } catch (error) {
      expect(isBackupError(error, 'key_mismatch')).toBe(true);
      expect(JSON.stringify((error as Error).message)).not.toContain('topsecret');
    }
  });
});

describe('loadOrCreateSecretKey', () => {
  it('creates a 0600 key once, even when called concurrently, and reads it back', async () => {
    const path = join(dir, 'nested', 'secret.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecretKey(path)));
    for (const k of keys) expect(k.equals(keys[0] as Buffer)).toBe(true);
    expect(keys[0]).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe((keys[0] as Buffer).toString('hex'));
    expect((await loadOrCreateSecretKey(path)).equals(keys[0] as Buffer)).toBe(true);
  });

  it('rejects a file that holds no valid key', async () => {
    const path = join(dir, 'bad.key');
    writeFileSync(path, 'not a key');
    await expect(loadOrCreateSecretKey(path)).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
