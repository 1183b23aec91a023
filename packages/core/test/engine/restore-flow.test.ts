import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type EntryRestoreResult,
  LocalKeyProvider,
  type Manifest,
  type ManifestEntry,
  Repository,
  runBackup,
  runRestore,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { giveBack } from '../../src/util/lent-buffers.js';
import { CollectingTarget, FakeSource, SMALL_CHUNKS, tempDriver } from './fixtures.js';

const provider = new LocalKeyProvider({ k1: randomBytes(32) });
const rowsOf = (n: number, seed: string) =>
  Buffer.from(Array.from({ length: n }, (_, i) => `${i}\t${seed} ${i * 7919}\t2024-01-01\n`).join(''));

let cleanup: () => Promise<void>;
let repo: Repository;
let manifest: Manifest;
const data = new Map<string, Buffer>([
  ['medium', rowsOf(12_000, 'medium')],
  ['big', rowsOf(30_000, 'big')],
  ['tiny', rowsOf(10, 'tiny')],
  ['large', rowsOf(20_000, 'large')],
  ['small', rowsOf(6_000, 'small')],
]);

beforeEach(async () => {
  const temp = await tempDriver();
  cleanup = temp.cleanup;
  repo = await Repository.open(temp.driver, {
    keyProvider: provider,
    encryption: { enabled: true, keyId: 'k1' },
    create: true,
    chunker: SMALL_CHUNKS,
  });
  manifest = await runBackup({
    repository: repo,
    source: new FakeSource(
      [...data].map(([name, bytes], i) => ({ name, kind: 'table', data: bytes, hashContent: i % 2 === 0 })),
    ),
    context: { signal: new AbortController().signal, parent: null, full: false },
    jobId: 'job_1',
    backupId: 'bk_1',
    backupType: 'full',
    compression: { algorithm: 'zstd' },
  });
});
afterEach(() => cleanup());

/** Records the order entries start in. */
class OrderTarget extends CollectingTarget {
  started: string[] = [];
  override async restoreEntry(entry: ManifestEntry, content: Readable | null): Promise<EntryRestoreResult> {
    this.started.push(entry.name);
    return super.restoreEntry(entry, content);
  }
}

/**
 * Hashes each piece and hands it back at once, as a socket writer does: the decoder then reuses
 * that memory for chunks still to come, which must not change what this target saw.
 */
class GivingBackTarget extends CollectingTarget {
  sha256 = new Map<string, string>();
  /** Per entry, for each piece read: whether it was lent (and so handed back). */
  lent = new Map<string, boolean[]>();
  readonly #stopAfter: Set<string>;
  constructor(parallelism: number, stopAfter: string[] = []) {
    super(parallelism);
    this.#stopAfter = new Set(stopAfter);
  }
  override async restoreEntry(entry: ManifestEntry, content: Readable | null): Promise<EntryRestoreResult> {
    if (!content) return { name: entry.name, records: 0, bytes: 0 };
    if (this.#stopAfter.has(entry.name)) {
      // Not wanted: stops reading after one piece, like a target skipping an unselected table.
      for await (const piece of content) {
        this.#record(entry.name, piece as Buffer);
        break;
      }
      content.destroy();
      return { name: entry.name, records: 0, bytes: 0 };
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const piece of content) {
      hash.update(piece as Buffer);
      bytes += (piece as Buffer).length;
      this.#record(entry.name, piece as Buffer);
    }
    this.sha256.set(entry.name, hash.digest('hex'));
    return { name: entry.name, records: 1, bytes };
  }
  #record(name: string, piece: Buffer): void {
    const list = this.lent.get(name) ?? [];
    list.push(giveBack(piece));
    this.lent.set(name, list);
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('restore flow', () => {
  it('starts the biggest entries first when several load at once, results in manifest order', async () => {
    const target = new OrderTarget(2);
    const result = await runRestore({ repository: repo, manifest, target });
    expect(target.started).toEqual(['big', 'large', 'medium', 'small', 'tiny']);
    expect(result.entries.map((e) => e.name)).toEqual([...data.keys()]);
    for (const [name, bytes] of data) expect(target.restored.get(name)?.equals(bytes), name).toBe(true);
  });

  it('starts the costliest entries first when the target prices them, whatever their size', async () => {
    const target = new OrderTarget(2);
    // A target whose per-entry work does not follow bytes (rows, indexes): tiny costs the most.
    const cost: Record<string, number> = { tiny: 5, small: 4, big: 3, medium: 2, large: 1 };
    Object.assign(target, { restoreCost: (entry: ManifestEntry) => cost[entry.name] ?? 0 });
    await runRestore({ repository: repo, manifest, target });
    expect(target.started).toEqual(['tiny', 'small', 'big', 'medium', 'large']);
  });

  it('keeps the manifest order with one entry at a time', async () => {
    const target = new OrderTarget(1);
    await runRestore({ repository: repo, manifest, target });
    expect(target.started).toEqual([...data.keys()]);
  });

  for (const workers of [0, 1, 3]) {
    it(`delivers intact content to a target that hands chunks back for reuse (${workers} decoder workers)`, async () => {
      const target = new GivingBackTarget(3);
      const result = await runRestore({ repository: repo, manifest, target, decoderWorkers: workers });
      for (const [name, bytes] of data) expect(target.sha256.get(name), name).toBe(sha(bytes));
      expect(result.bytes).toBe([...data.values()].reduce((n, b) => n + b.length, 0));
      const lent = [...target.lent.values()].flat().filter(Boolean).length;
      if (workers === 0) expect(lent).toBe(0);
      else expect(lent).toBeGreaterThan(0);
    });
  }

  it('lends every chunk when the pool covers what is in flight', async () => {
    // One entry at a time, 2 fetched ahead: at most ~4 chunks held, one worker has 8 slots.
    const target = new GivingBackTarget(1);
    await runRestore({ repository: repo, manifest, target, decoderWorkers: 1, chunkPrefetch: 2 });
    for (const entry of manifest.entries) {
      expect(target.lent.get(entry.name), entry.name).toEqual(entry.chunks.map(() => true));
    }
  });

  it('keeps lending after a target stops reading entries midway', async () => {
    // One at a time, in manifest order: medium, big (both stopped), tiny, large (stopped), small.
    const target = new GivingBackTarget(1, ['medium', 'big', 'large']);
    await runRestore({ repository: repo, manifest, target, decoderWorkers: 1, chunkPrefetch: 4 });
    expect(target.sha256.get('small')).toBe(sha(data.get('small')!));
    expect(target.sha256.get('tiny')).toBe(sha(data.get('tiny')!));
    // The chunks fetched ahead for the stopped entries (4 each; one worker has 8 slots) were
    // handed back: 'small' is still served from slots.
    const small = manifest.entries.find((e) => e.name === 'small')!;
    expect(small.chunks.length).toBeGreaterThan(1);
    expect(target.lent.get('small')).toEqual(small.chunks.map(() => true));
  });
});
