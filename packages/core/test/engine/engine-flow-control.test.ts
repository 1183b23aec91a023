import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type BackupRunContext,
  type BackupSource,
  LocalKeyProvider,
  type LocalStorageDriver,
  Repository,
  runBackup,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeEntry, FakeSource, masterKey, SMALL_CHUNKS, tempDriver, withPut } from './fixtures.js';

let driver: LocalStorageDriver;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ driver, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

function context(): BackupRunContext {
  return { signal: new AbortController().signal, parent: null, full: false };
}

describe('engine flow control', () => {
  it('bounds pack uploads in flight and reads entries in parallel up to the plan', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let packs = 0;
    const counting = withPut(driver, async (k, body, o) => {
      if (!k.startsWith('data/')) return driver.put(k, body, o);
      packs++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      try {
        await driver.put(k, body, o);
      } finally {
        inFlight--;
      }
    });
    const repo = await Repository.open(counting, {
      keyProvider: new LocalKeyProvider({ k1: masterKey() }),
      encryption: { enabled: true, keyId: 'k1' },
      create: true,
      chunker: SMALL_CHUNKS,
      packSize: 4 * 1024 * 1024,
    });
    const many: FakeEntry[] = Array.from({ length: 6 }, (_, i) => ({
      name: `t${i}`,
      data: randomBytes(3 * 1024 * 1024),
    }));
    const source = new FakeSource(many, 3);
    const manifest = await runBackup({
      repository: repo,
      source,
      context: context(),
      jobId: 'job_1',
      backupId: 'bk_1',
      backupType: 'incremental',
      compression: { algorithm: 'zstd', level: 3 },
      chunkConcurrency: 2,
    });
    expect(manifest.totals.new_chunks).toBeGreaterThan(20);
    expect(packs).toBeGreaterThanOrEqual(4);
    // One pack uploads while the next fills (each holds a pack's buffer), never more.
    expect(maxInFlight).toBe(1);
    expect(source.maxConcurrentReads).toBe(3);
  });

  it('applies backpressure: with storage stalled, the source is read only a few chunks ahead', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stalled = withPut(driver, async (k, body, o) => {
      if (k.startsWith('data/')) await gate;
      await driver.put(k, body, o);
    });
    const repo = await Repository.open(stalled, { create: true, packSize: 4 * 1024 * 1024 });
    const total = 64 * 1024 * 1024;
    let produced = 0;
    const source: BackupSource = {
      type: 'lazy',
      describe: () => ({}),
      open: async () => ({
        entries: (async function* () {
          yield {
            name: 'lazy',
            kind: 'file',
            metadata: {},
            estimatedBytes: total,
            open: async () =>
              Readable.from(
                (function* () {
                  for (; produced < total; produced += 65536) yield randomBytes(65536);
                })(),
                { objectMode: false },
              ),
          };
        })(),
        estimatedBytes: total,
        metadata: {},
        parallelism: 1,
        close: async () => {},
      }),
    };
    const running = runBackup({
      repository: repo,
      source,
      context: context(),
      jobId: 'job_1',
      backupId: 'bk_lazy',
      backupType: 'full',
      compression: { algorithm: 'none' },
      chunkConcurrency: 2,
      encoderWorkers: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // 1 pack uploading + 1 being filled (≤ 4 MiB each with a 4 MiB target),
    // 2 chunks in flight + 1 waiting for a slot + the chunker's buffer (≤ 4 MiB each), plus
    // stream buffers: far below the 64 MiB the source holds.
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThanOrEqual(40 * 1024 * 1024);
    release();
    const manifest = await running;
    expect(manifest.totals.logical_bytes).toBe(total);
    expect(produced).toBe(total);
  });
});
