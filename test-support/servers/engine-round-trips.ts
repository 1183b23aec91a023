import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createFilesystemRestoreTarget,
  createFilesystemSource,
  createPostgresRestoreTarget,
  createPostgresSource,
  isBackupError,
  LocalKeyProvider,
  type Manifest,
  Repository,
  runBackup,
  runRestore,
  type StorageDriver,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../postgres.js';
import type { Interruptible } from './tcp-relay.js';

/** One storage server for the engine tests, and drivers on it. */
export interface CloudFixture {
  /** What the interrupted-backup test kills: the server process, or a relay in front of it. */
  server: Interruptible;
  /** A driver whose keys live under `prefix` (one repository per test). */
  driver(prefix: string): StorageDriver;
  /** Re-creates what a restarted server forgot (a bucket), when it keeps nothing. */
  afterRestart?(): Promise<void>;
  close(): Promise<void>;
}

export interface CloudRoundTripOptions {
  name: string;
  /** The server for the directory and PostgreSQL round trips. */
  start(): Promise<CloudFixture>;
  /**
   * The server to kill mid-backup. It must keep what it stored across the kill (a disk-backed
   * server, or a relay in front of an in-memory one), so "nothing committed" is checked
   * against what the interrupted run really left behind.
   */
  startInterruptible(): Promise<CloudFixture>;
}

const keyProvider = new LocalKeyProvider({ k1: randomBytes(32) });

/** The smallest pack size: the interrupted run stores packs before the server dies. */
const PACK_SIZE = 4 * 1024 * 1024;

function openRepository(driver: StorageDriver, create = true): Promise<Repository> {
  return Repository.open(driver, {
    keyProvider,
    encryption: { enabled: true, keyId: 'k1' },
    create,
    packSize: PACK_SIZE,
  });
}

/**
 * `driver`, calling `stored` after each pack it stores, and holding back every later write of a
 * pack or index object until `gate()` (when set) settles.
 */
function watchPacks(
  driver: StorageDriver,
  stored: () => void,
  gate: () => Promise<void> | undefined,
): StorageDriver {
  return new Proxy(driver, {
    get(target, property) {
      if (property === 'put') {
        return async (...args: Parameters<StorageDriver['put']>) => {
          const data = args[0].startsWith('data/') || args[0].startsWith('index/');
          const held = data ? gate() : undefined;
          if (held) await held;
          await target.put(...args);
          if (args[0].startsWith('data/')) stored();
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function backup(
  driver: StorageDriver,
  source: Parameters<typeof runBackup>[0]['source'],
  backupId: string,
): Promise<Manifest> {
  return runBackup({
    repository: await openRepository(driver),
    source,
    context: { signal: new AbortController().signal, parent: null, full: true },
    jobId: 'job_cloud',
    backupId,
    backupType: 'full',
    compression: { algorithm: 'zstd', level: 3 },
    encoderWorkers: 0,
  });
}

/** Relative path → size and SHA-256 (comparing digests: deep-equal on large Buffers is very slow). */
async function filesUnder(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      const data = await readFile(full);
      files[path.relative(root, full)] = `${data.length}:${createHash('sha256').update(data).digest('hex')}`;
    }
  }
  return files;
}

async function makeTree(root: string, bigBytes: number): Promise<void> {
  await mkdir(path.join(root, 'nested/deep'), { recursive: true });
  await writeFile(path.join(root, 'a.txt'), 'hello from a directory backup\n'.repeat(100));
  await writeFile(path.join(root, 'nested/deep/big.bin'), randomBytes(bigBytes));
  await writeFile(path.join(root, 'nested/c.json'), JSON.stringify({ n: 1, s: 'ünïcode' }));
  await writeFile(path.join(root, 'empty'), '');
}

const TABLE_SQL = `
  CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[], at timestamptz);
  INSERT INTO items (name, price, tags, at)
    SELECT 'item ' || i, i * 1.25, ARRAY['t' || (i % 7), 'x'], timestamptz '2026-01-01' + i * interval '1 minute'
    FROM generate_series(1, 3000) AS i;
  CREATE TABLE notes (id bigint PRIMARY KEY, body text, item_id int REFERENCES items(id));
  INSERT INTO notes SELECT i, repeat('note ', i % 50), i FROM generate_series(1, 500) AS i;`;

function digest(url: string, table: string): Promise<unknown> {
  return withClient(url, async (client) => {
    const result = await client.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS hash FROM ${table} t`,
    );
    return result.rows[0];
  });
}

/**
 * Backups and restores through the real engine on a cloud driver: a directory, a PostgreSQL
 * database, and a backup whose server is killed mid-upload (retryable failure, nothing
 * committed, a re-run after the restart completes).
 */
export function cloudEngineRoundTrips(options: CloudRoundTripOptions): void {
  describe(`engine round trips through ${options.name}`, () => {
    let fixture: CloudFixture;
    const temp: string[] = [];
    const databases: TempDatabase[] = [];
    const tempDir = async (label: string) => {
      const dir = await mkdtemp(path.join(tmpdir(), `bk-cloud-${label}-`));
      temp.push(dir);
      return dir;
    };

    beforeAll(async () => {
      fixture = await options.start();
    });
    afterAll(async () => {
      await fixture?.close();
      for (const dir of temp) await rm(dir, { recursive: true, force: true });
      for (const db of databases) await db.drop();
    });

    it('backs up a directory and restores it byte for byte', async () => {
      const src = await tempDir('src');
      await makeTree(src, 3 * 1024 * 1024 + 17);
      const driver = fixture.driver('repo-dir');
      const manifest = await backup(driver, createFilesystemSource({ path: src }), 'backup_dir_1');
      const reader = await openRepository(fixture.driver('repo-dir'), false);
      expect(await reader.listSnapshotIds()).toEqual(['backup_dir_1']);
      const out = await tempDir('out');
      await runRestore({
        repository: reader,
        manifest,
        target: createFilesystemRestoreTarget({ path: out }),
      });
      expect(await filesUnder(out)).toEqual(await filesUnder(src));
    });

    it('backs up a PostgreSQL database and restores it into another', async () => {
      const source = await createTempDatabase('bk_cloud_src');
      const target = await createTempDatabase('bk_cloud_dst');
      databases.push(source, target);
      await withClient(source.url, (client) => client.query(TABLE_SQL));
      const driver = fixture.driver('repo-pg');
      const manifest = await backup(
        driver,
        createPostgresSource({ connection_string: source.url }),
        'backup_pg_1',
      );
      expect(manifest.entries.map((entry) => entry.name).sort()).toEqual(['public.items', 'public.notes']);
      const reader = await openRepository(fixture.driver('repo-pg'), false);
      await runRestore({
        repository: reader,
        manifest: await reader.readManifest('backup_pg_1'),
        target: createPostgresRestoreTarget({ connection_string: target.url }, {}),
      });
      for (const table of ['items', 'notes']) {
        expect(await digest(target.url, table), table).toEqual(await digest(source.url, table));
      }
    });

    it('fails retryably when the server dies mid-upload, commits nothing, and a re-run completes', async () => {
      const interrupted = await options.startInterruptible();
      try {
        const src = await tempDir('kill');
        await makeTree(src, 24 * 1024 * 1024);
        let killing: Promise<void> | undefined;
        // Kill once a pack is stored and more are to come (about six of 4 MiB); the packs written
        // after that reach a dead server.
        const error = await backup(
          watchPacks(
            interrupted.driver('repo-kill'),
            () => {
              killing ??= interrupted.server.kill();
            },
            () => killing,
          ),
          createFilesystemSource({ path: src }),
          'backup_killed',
        ).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        await killing;
        expect(killing, 'the server was killed during the run').toBeDefined();
        expect(isBackupError(error), String(error)).toBe(true);
        expect(isBackupError(error) && error.retryable, `${(error as Error).message}`).toBe(true);

        await interrupted.server.restart();
        await interrupted.afterRestart?.();
        const after = await openRepository(interrupted.driver('repo-kill'));
        expect(await after.hasSnapshot('backup_killed')).toBe(false);
        expect(await after.listSnapshotIds()).toEqual([]);
        // The interrupted run did store chunks (orphans a later run reuses): packs in no index
        // object (the run never got to write one), found through their headers. Only the
        // index and the manifest are missing.
        const orphans = await after.loadIndex();
        expect(orphans.indexNames).toEqual([]);
        expect(orphans.unindexedPacks.length).toBeGreaterThan(0);
        expect(orphans.damagedPacks).toEqual([]);
        let orphan: string | undefined;
        for await (const { id } of after.listChunks()) {
          orphan = id;
          break;
        }
        expect(orphan).toMatch(/^[0-9a-f]{64}$/);

        const manifest = await backup(
          interrupted.driver('repo-kill'),
          createFilesystemSource({ path: src }),
          'backup_rerun',
        );
        const reader = await openRepository(interrupted.driver('repo-kill'), false);
        expect(await reader.listSnapshotIds()).toEqual(['backup_rerun']);
        const out = await tempDir('kill-out');
        await runRestore({
          repository: reader,
          manifest,
          target: createFilesystemRestoreTarget({ path: out }),
        });
        expect(await filesUnder(out)).toEqual(await filesUnder(src));
      } finally {
        await interrupted.close();
      }
    });
  });
}
