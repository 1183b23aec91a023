import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BackupError, LocalKeyProvider, type LocalStorageDriver, Repository } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobOnDisk } from '../../../../test-support/chunk-blobs.js';
import { tempDriver } from '../engine/fixtures.js';

let driver: LocalStorageDriver;
let root: string;
let cleanup: () => Promise<void>;
const oldKey = randomBytes(32);
const newKey = randomBytes(32);

beforeEach(async () => {
  ({ driver, root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

const open = (keys: Record<string, Buffer>, keyId: string, create = false) =>
  Repository.open(driver, {
    keyProvider: new LocalKeyProvider(keys),
    encryption: { enabled: true, keyId },
    create,
  });

async function errorOf(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

describe('master-key rotation (a data key wrapped under a further master key)', () => {
  it('lets the new master key alone open what the old one wrote, without re-encrypting a byte', async () => {
    const first = await open({ old: oldKey }, 'old', true);
    const plaintext = randomBytes(100_000);
    const id = first.chunkId(plaintext);
    await first.putChunk(id, plaintext, { algorithm: 'zstd' });
    const { file: chunkFile } = await blobOnDisk(root, id, new LocalKeyProvider({ old: oldKey }));
    const storedBefore = await readFile(chunkFile);

    // Without the added wrapping, the new key opens nothing.
    expect((await errorOf(open({ new: newKey }, 'new'))).code).toBe('key_not_found');

    const both = await open({ old: oldKey, new: newKey }, 'old');
    expect(await both.addMasterKey('new')).toEqual({
      added: [expect.any(String)],
      already: [],
      unopened: [],
    });
    // Idempotent: a second run adds nothing.
    expect(await both.addMasterKey('new')).toMatchObject({ added: [], already: [expect.any(String)] });

    const rotated = await open({ new: newKey }, 'new');
    expect((await rotated.getChunk(id)).equals(plaintext)).toBe(true);
    // Same data key: same chunk ids, so the next backup under the new key deduplicates.
    expect(rotated.chunkId(plaintext)).toBe(id);
    expect(await readFile(chunkFile)).toEqual(storedBefore);
    const records = await rotated.dataKeyRecords();
    expect(records.map((r) => r.key_id).sort()).toEqual(['new', 'old']);
    expect(new Set(records.map((r) => r.id)).size).toBe(1);
    expect((await readdir(path.join(root, 'keys'))).length).toBe(2);
    // Secrets stay out of the records: only the wrapped form is stored.
    const stored = await Promise.all(
      (await readdir(path.join(root, 'keys'))).map((name) => readFile(path.join(root, 'keys', name), 'utf8')),
    );
    for (const text of stored) {
      expect(text).not.toContain(newKey.toString('base64'));
      expect(text).not.toContain(oldKey.toString('base64'));
    }
  });

  it('refuses an unconfigured new key and reports data keys no configured key opens', async () => {
    await open({ old: oldKey }, 'old', true);
    const holder = await open({ old: oldKey }, 'old');
    const missing = await errorOf(holder.addMasterKey('absent'));
    expect(missing.code).toBe('key_not_found');
    expect((await readdir(path.join(root, 'keys'))).length).toBe(1);

    // A host holding only the new key (and a wrong "old" one) cannot open the data key to wrap it.
    const unencrypted = await Repository.open(driver, {
      keyProvider: new LocalKeyProvider({ new: newKey, old: randomBytes(32) }),
    });
    const result = await unencrypted.addMasterKey('new');
    expect(result).toEqual({ added: [], already: [], unopened: [expect.any(String)] });
    expect((await readdir(path.join(root, 'keys'))).length).toBe(1);
  });
});
