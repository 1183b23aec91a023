import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  type BackupRunContext,
  type BackupSource,
  createPostgresRestoreTarget,
  createPostgresSource,
  type EntryPartContents,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  type ManifestEntry,
  Repository,
  type RestoreTarget,
  runBackup,
  runRestore,
  type SourceEntry,
  type TablePartMetadata,
} from '@backupkit/core';
import { withClient } from '../../../../../test-support/postgres.js';

/** The smallest threshold the source takes: 1 MiB, so ranges of 64 pages of 8 KiB. */
export const SMALL_SPLIT = 1024 * 1024;
export const PAGES_PER_RANGE = SMALL_SPLIT / 2 / 8192;

/**
 * Wraps a PostgreSQL source so that `beforePart(entry, index)` runs before each part of a
 * table read in parts is opened: writes made there land between the snapshot and the read.
 */
export function gatedSource(
  config: Record<string, unknown>,
  beforePart: (entry: string, index: number) => Promise<void>,
): BackupSource {
  const inner = createPostgresSource(config);
  return {
    type: inner.type,
    describe: () => inner.describe(),
    open: async (context: BackupRunContext) => {
      const plan = await inner.open(context);
      const gate = (entry: SourceEntry): SourceEntry =>
        entry.parts
          ? {
              ...entry,
              parts: entry.parts.map((part, index) => ({
                ...part,
                open: async (signal: AbortSignal) => {
                  await beforePart(entry.name, index);
                  return part.open(signal);
                },
              })),
            }
          : entry;
      return {
        ...plan,
        entries: (async function* () {
          for await (const entry of plan.entries) yield gate(entry);
        })(),
      };
    },
  };
}

/** Wraps a restore target, recording how many parts of one table were being loaded at once. */
export function watchedTarget(target: RestoreTarget): {
  target: RestoreTarget;
  mostPartsAtOnce: () => number;
} {
  let open = 0;
  let most = 0;
  const watched: RestoreTarget = {
    get parallelism() {
      return target.parallelism;
    },
    prepare: (context) => target.prepare(context),
    restoreCost: (entry) => target.restoreCost?.(entry) ?? entry.size,
    finishCost: () => target.finishCost?.() ?? 0,
    restoreEntry: (entry, content, context) => target.restoreEntry(entry, content, context),
    restoreEntryParts: (entry: ManifestEntry, parts: EntryPartContents, context) =>
      target.restoreEntryParts!(
        entry,
        {
          count: parts.count,
          open: (index) => {
            const stream: Readable = parts.open(index);
            open++;
            most = Math.max(most, open);
            stream.once('close', () => open--);
            return stream;
          },
        },
        context,
      ),
    finish: (context) => target.finish(context),
    close: () => target.close(),
  };
  return { target: watched, mostPartsAtOnce: () => most };
}

/** A local encrypted repository in a temp dir, for backups and restores through the engine. */
export class PartsHarness {
  readonly #root: string;
  readonly #keys = new LocalKeyProvider({ test: randomBytes(32) });
  #count = 0;

  private constructor(root: string) {
    this.#root = root;
  }

  static async create(): Promise<PartsHarness> {
    return new PartsHarness(await mkdtemp(path.join(tmpdir(), 'bk-pg-parts-')));
  }

  async repository(create = false): Promise<Repository> {
    return Repository.open(new LocalStorageDriver({ root: this.#root }), {
      create,
      keyProvider: this.#keys,
      encryption: { enabled: true, keyId: 'test' },
    });
  }

  async backup(
    source: BackupSource | Record<string, unknown>,
    parent: Manifest | null = null,
  ): Promise<Manifest> {
    this.#count++;
    return runBackup({
      repository: await this.repository(true),
      source: 'open' in source ? (source as BackupSource) : createPostgresSource(source),
      context: { signal: new AbortController().signal, parent, full: parent === null },
      jobId: 'job_parts',
      backupId: `backup_parts_${this.#count}`,
      backupType: parent === null ? 'full' : 'incremental',
      compression: { algorithm: 'zstd', level: 3 },
    });
  }

  /** Restores through a watched target; `mostPartsAtOnce` says how many parts of a table loaded together. */
  async restore(
    manifest: Manifest,
    destination: Record<string, unknown>,
    options: Record<string, unknown> = {},
  ): Promise<{ result: Awaited<ReturnType<typeof runRestore>>; mostPartsAtOnce: number }> {
    const watched = watchedTarget(createPostgresRestoreTarget(destination, options));
    const result = await runRestore({
      repository: await this.repository(),
      manifest,
      target: watched.target,
      options,
    });
    return { result, mostPartsAtOnce: watched.mostPartsAtOnce() };
  }

  async dispose(): Promise<void> {
    await rm(this.#root, { recursive: true, force: true });
  }
}

export function tableEntry(manifest: Manifest, name: string): ManifestEntry {
  const entry = manifest.entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no entry ${name}`);
  return entry;
}

export function partsOf(entry: ManifestEntry): TablePartMetadata[] {
  return (entry.parts ?? []).map((p) => p.metadata as unknown as TablePartMetadata);
}

/** Rows in id order, hashed: what the PostgreSQL tests compare tables by. */
export async function orderedMd5(
  url: string,
  table: string,
): Promise<{ rows: number; distinct: number; md5: string }> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ rows: string; distinct: string; md5: string }>(
      `SELECT count(*)::text AS rows, count(DISTINCT id)::text AS distinct,
              coalesce(md5(string_agg(t::text, E'\\n' ORDER BY id)), '') AS md5 FROM ${table} t`,
    );
    return { rows: Number(rows[0]!.rows), distinct: Number(rows[0]!.distinct), md5: rows[0]!.md5 };
  });
}

/** Heap pages of `table` now. */
export async function heapPages(url: string, table: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ pages: string }>(
      `SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS pages`,
      [table],
    );
    return Number(rows[0]!.pages);
  });
}
