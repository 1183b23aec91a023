import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type ChunkerParams,
  createPostgresRestoreTarget,
  createPostgresSource,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
  runRestore,
} from '@backupkit/core';

/** A local encrypted repository in a temp dir, and backup/restore through the real engine. */
export class EngineHarness {
  readonly #root: string;
  readonly #chunker: ChunkerParams | undefined;
  readonly #keys = new LocalKeyProvider({ test: randomBytes(32) });
  #count = 0;

  private constructor(root: string, chunker: ChunkerParams | undefined) {
    this.#root = root;
    this.#chunker = chunker;
  }

  /** `chunker`: the new repository's chunk sizes (default: the library's). */
  static async create(options: { chunker?: ChunkerParams } = {}): Promise<EngineHarness> {
    return new EngineHarness(await mkdtemp(path.join(tmpdir(), 'bk-pg-engine-')), options.chunker);
  }

  async #repository(create: boolean): Promise<Repository> {
    return Repository.open(new LocalStorageDriver({ root: this.#root }), {
      create,
      keyProvider: this.#keys,
      encryption: { enabled: true, keyId: 'test' },
      ...(this.#chunker ? { chunker: this.#chunker } : {}),
    });
  }

  async backup(config: Record<string, unknown>, parent: Manifest | null = null): Promise<Manifest> {
    const repository = await this.#repository(true);
    this.#count++;
    return runBackup({
      repository,
      source: createPostgresSource(config),
      context: { signal: new AbortController().signal, parent, full: parent === null },
      jobId: 'job_pg',
      backupId: `backup_pg_${this.#count}`,
      backupType: parent === null ? 'full' : 'incremental',
      compression: { algorithm: 'zstd', level: 3 },
    });
  }

  async restore(
    manifest: Manifest,
    destination: Record<string, unknown>,
    options: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): Promise<Awaited<ReturnType<typeof runRestore>>> {
    const repository = await this.#repository(false);
    return runRestore({
      repository,
      manifest,
      target: createPostgresRestoreTarget(destination, options),
      options,
      ...(signal ? { signal } : {}),
    });
  }

  async dispose(): Promise<void> {
    await rm(this.#root, { recursive: true, force: true });
  }
}
