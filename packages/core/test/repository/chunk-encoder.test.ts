import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import {
  BackupError,
  type CompressionAlgorithm,
  LocalKeyProvider,
  type LocalStorageDriver,
  Repository,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

async function errorOf(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

import { blobOnDisk } from '../../../../test-support/chunk-blobs.js';
import { tempDriver } from '../engine/fixtures.js';

let driver: LocalStorageDriver;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ driver, root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

const provider = new LocalKeyProvider({ k1: randomBytes(32) });

describe('chunk encoders', () => {
  for (const encrypted of [true, false]) {
    for (const workers of [0, 2]) {
      it(`produce ids and objects the repository reads back (${encrypted ? 'encrypted' : 'plain'}, ${workers} workers)`, async () => {
        const repo = await Repository.open(driver, {
          keyProvider: provider,
          encryption: encrypted ? { enabled: true, keyId: 'k1' } : { enabled: false },
          create: true,
        });
        const algorithms: CompressionAlgorithm[] = ['none', 'gzip', 'brotli', 'zstd'];
        for (const algorithm of algorithms) {
          const encoder = repo.createChunkEncoder({ compression: { algorithm }, workers });
          try {
            const inputs = [
              Buffer.from(`${algorithm} text `.repeat(30000)),
              randomBytes(100_000),
              Buffer.from('tiny'),
              Buffer.alloc(0),
              // A view into a larger buffer: must be copied, not transferred whole.
              Buffer.from('x'.repeat(50_000)).subarray(1000, 9000),
            ];
            const copies = inputs.map((b) => Buffer.from(b));
            const pending = inputs.map((b) => encoder.submit(b));
            for (const [i, p] of pending.entries()) {
              const id = await p.id;
              expect(id).toBe(repo.chunkId(copies[i]!));
              const encoded = await p.encode(repo.chunkAad(id));
              const packs = repo.createPackWriter();
              await packs.add(id, encoded.bytes, copies[i]!.length);
              await repo.commitPacks(await packs.finish());
              expect((await repo.getChunk(id)).equals(copies[i]!)).toBe(true);
              if (encrypted) expect(encoded.bytes.includes(Buffer.from(`${algorithm} text`))).toBe(false);
            }
            const dropped = encoder.submit(Buffer.from('dropped'));
            expect(await dropped.id).toBe(repo.chunkId(Buffer.from('dropped')));
            dropped.drop();
          } finally {
            await encoder.close();
          }
        }
      });
    }
  }

  for (const encrypted of [true, false]) {
    it(`worker readers verify like getChunk (${encrypted ? 'encrypted' : 'plain'})`, async () => {
      const repo = await Repository.open(driver, {
        keyProvider: provider,
        encryption: encrypted ? { enabled: true, keyId: 'k1' } : { enabled: false },
        create: true,
      });
      const a = Buffer.from('row a\n'.repeat(50));
      const b = Buffer.from('row b\n'.repeat(50));
      const idA = repo.chunkId(a);
      const idB = repo.chunkId(b);
      await repo.putChunk(idA, a, { algorithm: 'gzip' });
      await repo.putChunk(idB, b, { algorithm: 'zstd' });
      const reader = repo.createChunkReader({ workers: 2 });
      try {
        expect((await reader.getChunk(idA)).equals(a)).toBe(true);
        expect((await reader.getChunk(idB)).equals(b)).toBe(true);
        // putChunk stores each chunk in a pack of its own.
        const blobA = await blobOnDisk(root, idA, provider);
        const blobB = await blobOnDisk(root, idB, provider);
        const file = blobA.file;
        const original = await readFile(file);
        for (let i = 0; i < blobA.length; i++) {
          const bad = Buffer.from(original);
          bad[blobA.offset + i]! ^= 0x02;
          await writeFile(file, bad);
          const error = await errorOf(reader.getChunk(idA));
          expect(error.code, `byte ${i}`).toBe('integrity_error');
          expect(error.details.chunk_id).toBe(idA);
        }
        const swapped = Buffer.from(original);
        (await readFile(blobB.file)).copy(swapped, blobA.offset, blobB.offset, blobB.offset + blobB.length);
        await writeFile(file, swapped);
        expect((await errorOf(reader.getChunk(idA))).code).toBe('integrity_error');
        await rm(file);
        expect((await errorOf(reader.getChunk(idA))).code).toBe('integrity_error');
        expect((await reader.getChunk(idB)).equals(b)).toBe(true);
      } finally {
        await reader.close();
      }
    });
  }
});
