import { randomBytes } from 'node:crypto';
import {
  BackupError,
  type CompressionAlgorithm,
  decodeObject,
  encodeObject,
  HEADER_BYTES,
  normalizeCompression,
  parseObjectHeader,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { deriveDataKey, newDataKeyMaterial } from '../../src/repository/data-key.js';

const text = Buffer.from(`${'id\tname\tvalue\n'.repeat(20000)}the end\n`);
const { id: dataKeyId, material } = newDataKeyMaterial();
const key = deriveDataKey(dataKeyId, 'k1', material);
const aad = Buffer.from('backupkit:chunk:test');

async function decode(stored: Buffer, withAad = aad): Promise<Buffer> {
  return decodeObject(stored, {
    aad: withAad,
    resolveKey: async (id) => {
      if (id !== dataKeyId)
        throw new BackupError('integrity_error', `Data key ${id} is not in the repository`);
      return key;
    },
    maxPlaintext: 16 * 1024 * 1024,
    label: 'Chunk test',
    details: { chunk_id: 'test' },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

const LEVELS: Array<[CompressionAlgorithm, number[]]> = [
  ['none', [0]],
  ['gzip', [1, 6, 9]],
  ['brotli', [0, 4, 11]],
  ['zstd', [1, 3, 19]],
];

describe('chunk codec', () => {
  for (const [algorithm, levels] of LEVELS) {
    for (const level of levels) {
      for (const encrypted of [false, true]) {
        it(`round-trips ${algorithm} ${level} ${encrypted ? 'encrypted' : 'plain'}`, async () => {
          const setting = normalizeCompression({ algorithm, level });
          const encoded = await encodeObject(text, {
            compression: setting,
            aad,
            key: encrypted ? key : null,
          });
          expect(encoded.compression).toBe(algorithm);
          if (algorithm !== 'none') expect(encoded.bytes.length).toBeLessThan(text.length / 5);
          const header = parseObjectHeader(encoded.bytes, 'x');
          expect(header).toMatchObject({
            compression: algorithm,
            encrypted,
            dataKeyId: encrypted ? dataKeyId : null,
          });
          expect((await decode(encoded.bytes)).equals(text)).toBe(true);
          const visible = encoded.bytes.includes(Buffer.from('id\tname\tvalue'));
          if (encrypted) expect(visible).toBe(false);
          if (algorithm === 'none' && !encrypted) expect(visible).toBe(true);
        });
      }
    }
  }

  it('stores incompressible data uncompressed and records that', async () => {
    const noise = randomBytes(64 * 1024);
    const encoded = await encodeObject(noise, {
      compression: normalizeCompression({ algorithm: 'zstd' }),
      aad,
      key,
    });
    expect(encoded.compression).toBe('none');
    expect(parseObjectHeader(encoded.bytes, 'x').compression).toBe('none');
    expect(encoded.bytes.length).toBe(HEADER_BYTES + noise.length + 16);
    expect((await decode(encoded.bytes)).equals(noise)).toBe(true);
  });

  it('defaults and bounds compression levels', () => {
    expect(normalizeCompression({ algorithm: 'brotli' })).toEqual({ algorithm: 'brotli', level: 4 });
    expect(normalizeCompression({ algorithm: 'zstd' })).toEqual({ algorithm: 'zstd', level: 1 });
    expect(normalizeCompression({ algorithm: 'gzip' })).toEqual({ algorithm: 'gzip', level: 6 });
    for (const bad of [
      { algorithm: 'gzip', level: 0 },
      { algorithm: 'gzip', level: 10 },
      { algorithm: 'brotli', level: 12 },
      { algorithm: 'zstd', level: 0 },
      { algorithm: 'zstd', level: 20 },
      { algorithm: 'zstd', level: 2.5 },
      { algorithm: 'lz4' },
    ] as const) {
      expect(() => normalizeCompression(bad as never)).toThrow(BackupError);
    }
  });

  for (const encrypted of [true, false]) {
    it(`detects a flipped bit in every byte of a stored object (${encrypted ? 'encrypted' : 'plain'})`, async () => {
      const small = Buffer.from('sentinel row 1\nsentinel row 2\n'.repeat(8));
      const setting = normalizeCompression({ algorithm: 'gzip', level: 1 });
      const stored = (await encodeObject(small, { compression: setting, aad, key: encrypted ? key : null }))
        .bytes;
      for (let i = 0; i < stored.length; i++) {
        const bad = Buffer.from(stored);
        bad[i]! ^= 0x01;
        const error = await errorOf(decode(bad));
        expect(error.code, `byte ${i}`).toBe('integrity_error');
        expect(error.message).toContain('Chunk test');
      }
      expect((await errorOf(decode(stored.subarray(0, 20)))).code).toBe('integrity_error');
      // The same bytes presented as another object fail too (AAD binds the identity).
      expect((await errorOf(decode(stored, Buffer.from('backupkit:chunk:other')))).code).toBe(
        'integrity_error',
      );
    });
  }
});
