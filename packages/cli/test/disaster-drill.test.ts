import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBackupService, LocalKeyProvider } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../test-support/postgres.js';
import { cli, cliJson } from './support/cli.js';
import { dumpTables, fillSampleDatabase } from './support/databases.js';
import { freshKeys } from './support/keys.js';

describe('disaster recovery drill', () => {
  let dataDir: string;
  let source: TempDatabase;
  let target: TempDatabase;
  const keys = freshKeys('backup_key');

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'bk-cli-drill-'));
    source = await createTempDatabase('bk_drill_src');
    target = await createTempDatabase('bk_drill_dst');
    await fillSampleDatabase(source.url, 1500);
  });
  afterAll(async () => {
    await source.drop();
    await target.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restores the newest backup of a stopped service with its catalog deleted, from the URL and the key alone', async () => {
    // The service: two runs of a job, the second after the data changed.
    const service = createBackupService({ dataDir, keys: LocalKeyProvider.fromEnv(keys) });
    const job = await service.createJob({
      job_name: 'Orders database',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: 'orders' },
      compression: { enabled: true, algorithm: 'gzip', level: 6 },
      encryption: { enabled: true, algorithm: 'AES-256-GCM', key_id: 'backup_key' },
    });
    const backUp = async () => {
      const execution = await service.executeJob(job.job_id);
      const status = await service.waitFor(execution.execution_id);
      expect(status.status).toBe('completed');
      return status.result!.backup_id;
    };
    const first = await backUp();
    await withClient(source.url, (c) =>
      c.query(`UPDATE customers SET name = name || ' (changed)' WHERE id < 10`),
    );
    const newest = await backUp();
    const backupIds = [first, newest];
    const expected = await dumpTables(source.url);
    await service.stop();
    // The service is gone, and its catalog with it.
    await rm(path.join(dataDir, 'catalog.db'), { force: true });
    await rm(path.join(dataDir, 'catalog.db-wal'), { force: true });
    await rm(path.join(dataDir, 'catalog.db-shm'), { force: true });

    const repo = pathToFileURL(path.join(dataDir, 'storage', 'orders')).href;
    const env = { BACKUPKIT_KEYS: keys, BACKUPKIT_REPOSITORY: repo };
    const listed = await cliJson<{ backups: Array<{ backup_id: string; job_id: string }> }>(['snapshots'], {
      env,
    });
    expect(listed.backups.map((b) => b.backup_id)).toEqual(backupIds);
    expect(listed.backups.every((b) => b.job_id === job.job_id)).toBe(true);

    const restored = await cli(['restore', 'latest', '--to', target.url], { env });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`Restored ${newest}`);
    expect(await dumpTables(target.url)).toEqual(expected);

    // A new service's catalog, on PostgreSQL this time, gets the history back.
    const catalogDb = await createTempDatabase('bk_drill_catalog');
    try {
      const rebuilt = await cliJson<{ inserted: string[]; jobs_created: string[] }>(
        ['catalog', 'rebuild', '--catalog', catalogDb.url],
        { env },
      );
      expect(rebuilt.inserted.sort()).toEqual([...backupIds].sort());
      expect(rebuilt.jobs_created).toEqual([job.job_id]);
    } finally {
      await catalogDb.drop();
    }
  });
});
