import { randomBytes } from 'node:crypto';
import { BackupError, LocalKeyProvider } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const keyA = randomBytes(32);
const keyB = randomBytes(32);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return (error as BackupError).code;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): BackupError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a throw');
}

describe('LocalKeyProvider', () => {
  it('wraps and unwraps a data key, binding the key id', async () => {
    const provider = new LocalKeyProvider({ a: keyA, b: keyA });
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey('a', dataKey);
    expect(wrapped.algorithm).toBe('aes-256-gcm');
    expect(Buffer.from(wrapped.data, 'base64').includes(dataKey)).toBe(false);
    expect((await provider.unwrapKey('a', wrapped)).equals(dataKey)).toBe(true);
    // Same material under another id: the AAD (key id) makes it fail.
    expect(await codeOf(provider.unwrapKey('b', wrapped))).toBe('key_mismatch');
  });

  it('reports a wrong key as key_mismatch and an unknown id as key_not_found', async () => {
    const wrapped = await new LocalKeyProvider({ k: keyA }).wrapKey('k', randomBytes(32));
    expect(await codeOf(new LocalKeyProvider({ k: keyB }).unwrapKey('k', wrapped))).toBe('key_mismatch');
    expect(await codeOf(new LocalKeyProvider({ other: keyB }).unwrapKey('k', wrapped))).toBe('key_not_found');
    expect(await codeOf(new LocalKeyProvider({}).wrapKey('k', randomBytes(32)))).toBe('key_not_found');
    expect(await new LocalKeyProvider({ k: keyA }).hasKey('k')).toBe(true);
    expect(await new LocalKeyProvider({ k: keyA }).hasKey('x')).toBe(false);
  });

  it('parses the BACKUPKIT_KEYS format', async () => {
    const provider = LocalKeyProvider.fromEnv(
      ` prod:${keyA.toString('base64')} , old-1:${keyB.toString('base64')}`,
    );
    expect(provider.keyIds()).toEqual(['prod', 'old-1']);
    const wrapped = await provider.wrapKey('old-1', randomBytes(32));
    const unwrapped = await new LocalKeyProvider({ 'old-1': keyB }).unwrapKey('old-1', wrapped);
    expect(unwrapped.length).toBe(32);
    expect(await codeOf(new LocalKeyProvider({ 'old-1': keyA }).unwrapKey('old-1', wrapped))).toBe(
      'key_mismatch',
    );
    expect(LocalKeyProvider.fromEnv('').keyIds()).toEqual([]);
    expect(LocalKeyProvider.fromEnv(undefined).keyIds()).toEqual([]);
  });

  it('rejects bad entries without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    const cases = [
      `k:${short}`,
      `nocolon${keyA.toString('base64')}`,
      `:${keyA.toString('base64')}`,
      'k:!!!notbase64!!!',
      `bad id:${keyA.toString('base64')}`,
    ];
    for (const value of cases) {
      const error = thrown(() => LocalKeyProvider.fromEnv(value));
      expect(error.code).toBe('invalid_backup_config');
      const text = `${error.message} ${JSON.stringify(error.details)}`;
      expect(text).not.toContain(short);
      expect(text).not.toContain(keyA.toString('base64'));
      expect(text).not.toContain('notbase64');
    }
    const dup = thrown(() =>
      LocalKeyProvider.fromEnv(`k:${keyA.toString('base64')},k:${keyB.toString('base64')}`),
    );
    expect(dup.code).toBe('invalid_backup_config');
  });
});
