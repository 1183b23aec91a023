import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSqliteCatalog } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../test-support/postgres.js';
import { cli, cliJson } from './support/cli.js';
import { dumpTables, fillSampleDatabase } from './support/databases.js';
import { type DestinationFixture, localDestination, s3Destination } from './support/destinations.js';
import { freshKeys } from './support/keys.js';
import { describeTree, writeSampleTree } from './support/trees.js';

interface Snapshot {
  backup_id: string;
  job_id: string;
  time: string;
  type: string;
  logical_bytes: number;
  stored_bytes: number;
  parent_backup_id: string | null;
}

describe.each([localDestination(), s3Destination()])(
  'every verb on $name',
  (destination: DestinationFixture) => {
    let scratch: string;
    const env = { BACKUPKIT_KEYS: freshKeys('k1') };

    beforeAll(async () => {
      await destination.start();
      scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-verbs-'));
    });
    afterAll(async () => {
      await destination.stop();
      await rm(scratch, { recursive: true, force: true });
    });

    it('backs up a directory twice, lists, restores it byte for byte, verifies, forgets and prunes', async () => {
      const repo = destination.url('tree');
      const source = path.join(scratch, 'source');
      await writeSampleTree(source);
      const first = await cliJson<{ backup_id: string; type: string }>(
        ['backup', source, '--to', repo, '--encryption-key', 'k1', '--compression', 'gzip'],
        { env },
      );
      expect(first.type).toBe('full');
      await writeFile(path.join(source, 'docs', 'readme.txt'), 'changed\n');
      // random.bin changes too: once the first backup is forgotten, its pack is mostly garbage,
      // which prune collects (a pack only a few percent unreferenced is left as it is).
      await writeFile(path.join(source, 'random.bin'), randomBytes(1_500_000));
      const second = await cliJson<{ backup_id: string; type: string; parent_backup_id: string }>(
        ['backup', source, '--to', repo, '--encryption-key', 'k1'],
        { env },
      );
      expect(second).toMatchObject({ type: 'incremental', parent_backup_id: first.backup_id });

      const listed = await cliJson<{ backups: Snapshot[] }>(['snapshots', repo], { env });
      expect(listed.backups.map((b) => b.backup_id)).toEqual([first.backup_id, second.backup_id]);
      expect(listed.backups[1]).toMatchObject({ type: 'incremental', parent_backup_id: first.backup_id });
      expect(listed.backups[1]!.logical_bytes).toBeGreaterThan(1_500_000);
      expect(listed.backups[1]!.stored_bytes).toBeGreaterThan(0);
      const human = await cli(['snapshots', repo], { env });
      expect(human.stdout).toContain(second.backup_id);
      expect(human.stdout).toMatch(/2 backup\(s\)/);

      const ls = await cliJson<{ entries: Array<{ name: string; kind: string; size: number }> }>(
        ['ls', first.backup_id, '--repo', repo],
        { env },
      );
      expect(ls.entries).toContainEqual({ name: 'random.bin', kind: 'file', size: 1_500_000 });
      expect(ls.entries.map((e) => e.name)).toContain('docs/nested/empty.txt');

      const target = path.join(scratch, 'restored');
      const restored = await cliJson<{ files_restored: number; verification: { status: string } }>(
        ['restore', 'latest', '--to', target, '--repo', repo],
        { env },
      );
      expect(restored.files_restored).toBe(4);
      expect(await describeTree(target)).toEqual(await describeTree(source));

      // Only a selected path.
      const partial = path.join(scratch, 'partial');
      await cliJson(['restore', first.backup_id, '--to', partial, '--path', 'docs/nested', '--repo', repo], {
        env,
      });
      expect(Object.keys(await describeTree(partial)).sort()).toEqual([
        'docs',
        'docs/nested',
        'docs/nested/data.csv',
        'docs/nested/empty.txt',
      ]);

      const verified = await cliJson<{ status: string; chunks_read: number }>(
        ['verify', 'latest', '-r', repo],
        { env },
      );
      expect(verified.status).toBe('passed');
      expect(verified.chunks_read).toBeGreaterThan(0);
      const subset = await cliJson<{ status: string; verification_type: string }>(
        ['verify', first.backup_id, '-r', repo, '--read-data-subset', '50%'],
        { env },
      );
      expect(subset).toMatchObject({ status: 'passed', verification_type: '50%' });
      const checked = await cliJson<{ status: string; backups: number }>(['check', '-r', repo], { env });
      expect(checked).toMatchObject({ status: 'passed', backups: 2 });

      const dryRun = await cli(['forget', '--keep-last', '1', '--dry-run', '-r', repo], { env });
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toMatch(new RegExp(`keep\\s+${second.backup_id}.*last snapshot \\(#1\\)`));
      expect(dryRun.stdout).toMatch(new RegExp(`would forget\\s+${first.backup_id}`));
      expect((await cliJson<{ backups: Snapshot[] }>(['snapshots', repo], { env })).backups).toHaveLength(2);

      const forgot = await cliJson<{ jobs: Array<{ forget: Array<{ backup_id: string }> }> }>(
        ['forget', '--keep-last', '1', '-r', repo],
        { env },
      );
      expect(forgot.jobs[0]!.forget.map((d) => d.backup_id)).toEqual([first.backup_id]);
      const after = await cliJson<{ backups: Snapshot[] }>(['snapshots', repo], { env });
      expect(after.backups.map((b) => b.backup_id)).toEqual([second.backup_id]);

      // Object times in S3 listings and heads differ in precision (ms against whole seconds): a
      // chunk written in the lock's own second counts as younger than --grace 0 and is spared.
      await sleep(1100);
      const pruned = await cliJson<{
        deleted_chunks: number;
        unreferenced_chunks: number;
        snapshots: number;
        deleted_packs: number;
        repacked_packs: number;
        written_packs: number;
      }>(['prune', '--grace', '0', '-r', repo], { env });
      expect(pruned.snapshots).toBe(1);
      // The old readme's and random.bin's chunks: the first backup's pack is repacked (data.csv's
      // chunk, still referenced, copied to a new pack) and deleted.
      expect(pruned.deleted_chunks).toBeGreaterThan(0);
      expect(pruned.deleted_chunks).toBe(pruned.unreferenced_chunks);
      expect(pruned).toMatchObject({ deleted_packs: 1, repacked_packs: 1, written_packs: 1 });
      expect((await cliJson<{ status: string }>(['check', '--read-data', '-r', repo], { env })).status).toBe(
        'passed',
      );
      const again = path.join(scratch, 'after-prune');
      await cliJson(['restore', 'latest', '--to', again, '-r', repo], { env });
      expect(await describeTree(again)).toEqual(await describeTree(source));
    });

    it('backs up a database and restores it into an empty one, identical table by table', async () => {
      const repo = destination.url('db');
      const source = await createTempDatabase('bk_cli_src');
      const targets: TempDatabase[] = [];
      try {
        await fillSampleDatabase(source.url);
        const made = await cliJson<{ backup_id: string }>(
          ['backup', source.url, '--to', repo, '--encryption-key', 'k1', '--exclude', 'empty_table'],
          { env },
        );
        const ls = await cliJson<{ entries: Array<{ name: string; rows?: number }> }>(
          ['ls', made.backup_id, '-r', repo],
          { env },
        );
        expect(ls.entries).toContainEqual(expect.objectContaining({ name: 'public.customers', rows: 2000 }));
        expect(ls.entries.map((e) => e.name)).not.toContain('public.empty_table');

        const target = await createTempDatabase('bk_cli_dst');
        targets.push(target);
        const restored = await cliJson<{ tables_restored: number; verification: { status: string } }>(
          ['restore', made.backup_id, '--to', target.url, '-r', repo],
          { env },
        );
        expect(restored).toMatchObject({ tables_restored: 2, verification: { status: 'passed' } });
        const expected = await dumpTables(source.url);
        delete expected['public.empty_table'];
        expect(await dumpTables(target.url)).toEqual(expected);

        // One table only.
        const one = await createTempDatabase('bk_cli_one');
        targets.push(one);
        await cliJson(['restore', 'latest', '--to', one.url, '--table', 'customers', '-r', repo], { env });
        expect(Object.keys(await dumpTables(one.url))).toEqual(['public.customers']);
      } finally {
        await source.drop();
        for (const t of targets) await t.drop();
      }
    });

    it('lists the data keys and which master key opens them; key add rotates to a new master key', async () => {
      const repo = destination.url('keys');
      const source = path.join(scratch, 'keys-source');
      await writeSampleTree(source, 'keys');
      await cliJson(['backup', source, '--to', repo, '--encryption-key', 'k1', '--compression', 'none'], {
        env,
      });
      const listed = await cliJson<{ keys: Array<{ key_id: string; opens: string }> }>(
        ['key', 'list', '-r', repo],
        { env },
      );
      expect(listed.keys).toEqual([expect.objectContaining({ key_id: 'k1', opens: 'yes' })]);
      const k1Only = env.BACKUPKIT_KEYS;
      const wrong = await cliJson<{ keys: Array<{ opens: string }> }>(['key', 'list', '-r', repo], {
        env: { BACKUPKIT_KEYS: freshKeys('k1') },
      });
      expect(wrong.keys[0]!.opens).toBe('wrong key');

      // Rotation: the new key needs to be configured, beside one that opens the repository.
      const k2 = freshKeys('k2');
      const unconfigured = await cli(['key', 'add', 'k2', '-r', repo], { env });
      expect(unconfigured.code).toBe(4);
      expect(unconfigured.stderr).toMatch(/^backupkit: .*"k2".*\n$/);
      const onlyNew = await cli(['key', 'add', 'k2', '-r', repo], { env: { BACKUPKIT_KEYS: k2 } });
      expect(onlyNew.code).toBe(4);
      const added = await cliJson<{ added: string[]; already: string[] }>(['key', 'add', 'k2', '-r', repo], {
        env: { BACKUPKIT_KEYS: `${k1Only},${k2}` },
      });
      expect(added.added).toHaveLength(1);
      expect(added.already).toEqual([]);

      // The new key alone now lists, restores, and backs up deduplicating against the old backup.
      const newOnly = { BACKUPKIT_KEYS: k2 };
      const after = await cliJson<{ keys: Array<{ key_id: string; opens: string }> }>(
        ['key', 'list', '-r', repo],
        { env: newOnly },
      );
      expect(after.keys.map((k) => [k.key_id, k.opens]).sort()).toEqual([
        ['k1', 'no key'],
        ['k2', 'yes'],
      ]);
      const restored = path.join(scratch, 'keys-restored');
      await cliJson(['restore', 'latest', '--to', restored, '-r', repo], { env: newOnly });
      expect(await describeTree(restored)).toEqual(await describeTree(source));
      const second = await cliJson<{ logical_bytes: number; new_bytes: number }>(
        ['backup', source, '--to', repo, '--encryption-key', 'k2', '--compression', 'none'],
        { env: newOnly },
      );
      expect(second.logical_bytes).toBeGreaterThan(0);
      expect(second.new_bytes).toBe(0);
    });

    it('rebuilds a SQLite catalog from the repository, idempotently', async () => {
      const repo = destination.url('catalog');
      const source = path.join(scratch, 'catalog-source');
      await writeSampleTree(source, 'catalog');
      const made = await cliJson<{ backup_id: string; job_id: string }>(
        ['backup', source, '--to', repo, '--encryption-key', 'k1'],
        { env },
      );
      const file = path.join(scratch, 'catalog.db');
      const rebuilt = await cliJson<{ inserted: string[]; jobs_created: string[] }>(
        ['catalog', 'rebuild', '--catalog', file, '-r', repo],
        { env },
      );
      expect(rebuilt.inserted).toEqual([made.backup_id]);
      expect(rebuilt.jobs_created).toEqual([made.job_id]);
      const again = await cliJson<{ inserted: string[]; existing: string[] }>(
        ['catalog', 'rebuild', '--catalog', file, '-r', repo],
        { env },
      );
      expect(again).toMatchObject({ inserted: [], existing: [made.backup_id] });
      const catalog = createSqliteCatalog({ path: file });
      try {
        await catalog.init();
        expect((await catalog.getBackup(made.backup_id))?.status).toBe('completed');
      } finally {
        await catalog.close();
      }
    });
  },
);
