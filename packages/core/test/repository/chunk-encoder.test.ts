import { randomBytes } from 'node:crypto';
import {
  type CompressionAlgorithm,
  LocalKeyProvider,
  type LocalStorageDriver,
  Repository,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDriver } from '../engine/fixtures.js';

let driver: LocalStorageDriver;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ driver, cleanup } = await tempDriver());
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
              await repo.putEncodedChunk(id, encoded.bytes);
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
});
