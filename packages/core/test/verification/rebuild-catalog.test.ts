import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createFilesystemRestoreTarget,
  LocalStorageDriver,
  REBUILT_JOB_CREATOR,
  Repository,
  rebuildCatalog,
  recoverBackupsFromStorage,
  runRestore,
  SqliteCatalog,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, directorySource, manifestPath, treeOf, type Workspace, workspace } from './fixtures.js';

describe('rebuildCatalog', () => {
  let ws: Workspace;
  const ids: string[] = [];
  const destination = { type: 'local', path: '/srv/backups', secret_access_key: 'sentinel-secret-xyz' };

  beforeAll(async () => {
    ws = await workspace();
    let parent = null;
    for (let i = 0; i < 3; i++) {
      await writeFile(path.join(ws.sourceDir, 'changing.bin'), randomBytes(100 * 1024 + i));
      parent = await backup(ws, directorySource(ws), parent, i === 2 ? 'job_other' : 'job_main');
      ids.push(parent.backup_id);
    }
  });
  afterAll(() => ws.cleanup());

  const listIds = async (catalog: SqliteCatalog) =>
    (await catalog.listBackups({ limit: 100, offset: 0 })).items.map((b) => b.backup_id).sort();

  it('lists every committed backup from storage alone, idempotently, and the newest restores identically', async () => {
    const dbPath = path.join(ws.root, 'catalog', 'backupkit.sqlite');
    const first = new SqliteCatalog({ path: dbPath });
    await first.init();
    const initial = await rebuildCatalog({
      catalog: first,
      driver: ws.driver,
      keyProvider: ws.keys,
      destination,
    });
    expect(initial.inserted.sort()).toEqual([...ids].sort());
    expect(initial.jobs_created.sort()).toEqual(['job_main', 'job_other']);
    const before = (await first.listBackups({ limit: 100, offset: 0 })).items;
    await first.close();

    // The catalog database dies; the bucket survives.
    await rm(path.dirname(dbPath), { recursive: true, force: true });
    const catalog = new SqliteCatalog({ path: dbPath });
    await catalog.init();
    try {
      expect(await listIds(catalog)).toEqual([]);
      const rebuilt = await rebuildCatalog({ catalog, driver: ws.driver, keyProvider: ws.keys, destination });
      expect(rebuilt).toMatchObject({ existing: [], skipped: [] });
      expect(await listIds(catalog)).toEqual([...ids].sort());
      const after = (await catalog.listBackups({ limit: 100, offset: 0 })).items;
      const strip = (rows: typeof after) =>
        rows.map(
          ({ backup_id, checksum, file_size, logical_size, parent_backup_id, created_at, job_id }) => ({
            backup_id,
            checksum,
            file_size,
            logical_size,
            parent_backup_id,
            created_at,
            job_id,
          }),
        );
      expect(strip(after)).toEqual(strip(before));
      expect(JSON.stringify(after)).not.toContain('sentinel-secret-xyz');

      const job = await catalog.getJob('job_main');
      expect(job).toMatchObject({ status: 'paused', created_by: REBUILT_JOB_CREATOR });

      // Idempotent.
      const again = await rebuildCatalog({ catalog, driver: ws.driver, keyProvider: ws.keys, destination });
      expect(again.inserted).toEqual([]);
      expect(again.existing.sort()).toEqual([...ids].sort());
      expect(again.jobs_created).toEqual([]);

      // Restore the newest listed backup from the bucket: identical to the source.
      const newest = after.sort((a, b) => b.created_at.localeCompare(a.created_at))[0]!;
      expect(newest.backup_id).toBe(ids[2]);
      const repository = await Repository.open(ws.driver, { keyProvider: ws.keys, create: false });
      const manifest = await repository.readManifest(newest.backup_id);
      const out = path.join(ws.root, 'restored');
      await runRestore({ repository, manifest, target: createFilesystemRestoreTarget({ path: out }) });
      expect(await treeOf(out)).toEqual(await treeOf(ws.sourceDir));
    } finally {
      await catalog.close();
    }
  });

  it('reports unreadable manifests instead of inventing rows, and can be limited to given ids', async () => {
    const catalog = new SqliteCatalog({ path: ':memory:' });
    await catalog.init();
    try {
      await writeFile(manifestPath(ws, 'backup_garbage'), 'not a manifest');
      const result = await rebuildCatalog({ catalog, driver: ws.driver, keyProvider: ws.keys, destination });
      expect(result.skipped).toEqual([expect.objectContaining({ backup_id: 'backup_garbage' })]);
      expect(result.inserted).toHaveLength(ids.length);
      expect(await catalog.getBackup('backup_garbage')).toBeNull();
      const only = await rebuildCatalog({
        catalog,
        driver: ws.driver,
        keyProvider: ws.keys,
        destination,
        backupIds: [ids[0]!],
      });
      expect(only.found).toEqual([ids[0]]);
    } finally {
      await catalog.close();
      await rm(manifestPath(ws, 'backup_garbage'), { force: true });
    }
  });

  it('recovers given backups across destinations, skipping ones without a repository', async () => {
    const catalog = new SqliteCatalog({ path: ':memory:' });
    await catalog.init();
    const empty = path.join(ws.root, 'empty-store');
    const opened: string[] = [];
    try {
      const result = await recoverBackupsFromStorage({
        catalog,
        destinations: [
          { type: 'local', path: empty },
          { type: 'local', path: ws.storeDir },
          { type: 'local', path: ws.storeDir },
        ],
        openDriver: (d) => {
          opened.push(String(d.path));
          return new LocalStorageDriver({ root: String(d.path) });
        },
        keyProvider: ws.keys,
        recordDestination: (d) => ({ type: d.type, sealed: true }),
        backupIds: [ids[1]!],
      });
      expect(result.inserted).toEqual([ids[1]]);
      expect(result.unreachable).toEqual([expect.objectContaining({ code: 'not_found' })]);
      expect(opened).toEqual([empty, ws.storeDir]);
      expect((await catalog.getBackup(ids[1]!))?.destination).toEqual({ type: 'local', sealed: true });
      expect(await catalog.getBackup(ids[0]!)).toBeNull();
    } finally {
      await catalog.close();
    }
  });
});
