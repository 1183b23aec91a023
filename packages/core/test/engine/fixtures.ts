import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  type BackupRunContext,
  type BackupRunPlan,
  type BackupSource,
  type ChunkerParams,
  type EntryRestoreResult,
  LocalStorageDriver,
  type ManifestEntry,
  type RestoreRunContext,
  type RestoreTarget,
  type SourceEntry,
  type StorageDriver,
} from '@backupkit/core';

export async function tempDriver(): Promise<{
  driver: LocalStorageDriver;
  root: string;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(path.join(tmpdir(), 'backupkit-engine-'));
  return {
    driver: new LocalStorageDriver({ root }),
    root,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Every file under `root`, relative path → bytes. */
export async function allFiles(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (dir: string) => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) await walk(full);
      else out.set(path.relative(root, full).split(path.sep).join('/'), await readFile(full));
    }
  };
  await walk(root);
  return out;
}

export const masterKey = () => randomBytes(32);

export interface FakeEntry {
  name: string;
  kind?: string;
  /** Content (absent = an entry without content, like a directory). */
  data?: Buffer;
  /** Delivers the content in pieces of this size (default 64 KiB). */
  pieceSize?: number;
  unchangedSince?: ManifestEntry;
  metadata?: Record<string, unknown>;
  /** Fails the stream after this many bytes. */
  failAfter?: number;
  /** Delay between pieces, to make cancellation observable. */
  delayMs?: number;
  /** `SourceEntry.hashContent` (default: left unset). */
  hashContent?: boolean;
}

/** A BackupSource over in-memory buffers, recording what the engine did with it. */
export class FakeSource implements BackupSource {
  readonly type = 'fake';
  opened: string[] = [];
  closed = 0;
  maxConcurrentReads = 0;
  #reading = 0;
  readonly #entries: FakeEntry[];
  readonly #parallelism: number;

  constructor(entries: FakeEntry[], parallelism = 2) {
    this.#entries = entries;
    this.#parallelism = parallelism;
  }

  describe(): Record<string, unknown> {
    return { type: 'fake', password: '***' };
  }

  async open(context: BackupRunContext): Promise<BackupRunPlan> {
    const self = this;
    const selected = this.#entries.filter((e) => !context.only || context.only.includes(e.name));
    async function* entries(): AsyncIterable<SourceEntry> {
      for (const e of selected) {
        const entry: SourceEntry = {
          name: e.name,
          kind: e.kind ?? (e.data ? 'file' : 'directory'),
          metadata: { ...(e.metadata ?? {}) },
          estimatedBytes: e.data?.length ?? 0,
          ...(e.unchangedSince ? { unchangedSince: e.unchangedSince } : {}),
          ...(e.hashContent === undefined ? {} : { hashContent: e.hashContent }),
        };
        if (e.data) {
          const data = e.data;
          let consumed = 0;
          entry.open = async (signal) => {
            self.opened.push(e.name);
            self.#reading++;
            self.maxConcurrentReads = Math.max(self.maxConcurrentReads, self.#reading);
            const piece = e.pieceSize ?? 65536;
            async function* gen() {
              try {
                for (let o = 0; o < data.length; o += piece) {
                  if (e.failAfter !== undefined && o >= e.failAfter)
                    throw new Error(`source broke in ${e.name}`);
                  if (e.delayMs) await new Promise((r) => setTimeout(r, e.delayMs));
                  if (signal.aborted) throw new Error('aborted by signal');
                  consumed += Math.min(piece, data.length - o);
                  yield data.subarray(o, o + piece);
                }
              } finally {
                self.#reading--;
              }
            }
            return Readable.from(gen(), { objectMode: false });
          };
          entry.completeMetadata = () => ({ consumed });
        }
        yield entry;
      }
    }
    return {
      entries: entries(),
      estimatedBytes: selected.reduce((n, e) => n + (e.data?.length ?? 0), 0),
      metadata: { captured: 'schema' },
      parallelism: this.#parallelism,
      close: async () => {
        this.closed++;
      },
    };
  }
}

/** A RestoreTarget that collects each entry's bytes. */
export class CollectingTarget implements RestoreTarget {
  readonly parallelism: number;
  restored = new Map<string, Buffer>();
  prepared = 0;
  finished = 0;
  closed = 0;
  /** Swallows stream errors and returns normally, like a careless target would. */
  readonly #careless: boolean;

  constructor(parallelism = 2, careless = false) {
    this.parallelism = parallelism;
    this.#careless = careless;
  }

  /** The context `prepare` was given. */
  context: RestoreRunContext | undefined;

  async prepare(context: RestoreRunContext): Promise<void> {
    this.prepared++;
    this.context = context;
  }

  async restoreEntry(entry: ManifestEntry, content: Readable | null): Promise<EntryRestoreResult> {
    if (!content) {
      this.restored.set(entry.name, Buffer.alloc(0));
      return { name: entry.name, records: 1, bytes: 0 };
    }
    const parts: Buffer[] = [];
    try {
      for await (const piece of content) parts.push(piece as Buffer);
    } catch (error) {
      if (!this.#careless) throw error;
    }
    const data = Buffer.concat(parts);
    this.restored.set(entry.name, data);
    return { name: entry.name, records: 1, bytes: data.length };
  }

  async finish(): Promise<Record<string, unknown>> {
    this.finished++;
    return { ok: true };
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** Small chunks, so that a few hundred KiB of test data make many of them. */
export const SMALL_CHUNKS: ChunkerParams = {
  algorithm: 'fastcdc-gear-v1',
  minSize: 16384,
  avgSize: 65536,
  maxSize: 262144,
};

/** `driver` with its `put` replaced, to count, delay or stall writes. */
export function withPut(driver: StorageDriver, put: StorageDriver['put']): StorageDriver {
  return {
    type: driver.type,
    capabilities: driver.capabilities,
    describe: (k) => driver.describe(k),
    get: (k, o) => driver.get(k, o),
    head: (k, o) => driver.head(k, o),
    list: (p, o) => driver.list(p, o),
    delete: (k, o) => driver.delete(k, o),
    put,
  };
}
