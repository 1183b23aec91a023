import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  acquireRepositoryLock,
  collectGarbage,
  LocalKeyProvider,
  LocalStorageDriver,
  listLiveLocks,
  ManualClock,
  packKey,
  planRetention,
  Repository,
  runBackup,
  runRestore,
  withRepositoryLock,
} from '@backupkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { hashingTarget, memorySource, SlowDeleteDriver, sha256 } from './gc-support.js';

const CHUNKER = { algorithm: 'fastcdc-gear-v1' as const, minSize: 2048, avgSize: 8192, maxSize: 32768 };
const KEYS = new LocalKeyProvider({ k1: Buffer.alloc(32, 7) });
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function openRepo() {
  const dir = await mkdtemp(path.join(tmpdir(), 'bk-gc-'));
  dirs.push(dir);
  const driver = new SlowDeleteDriver(new LocalStorageDriver({ root: dir }));
  const repository = await Repository.open(driver, {
    create: true,
    chunker: CHUNKER,
    keyProvider: KEYS,
    encryption: { enabled: true, keyId: 'k1' },
  });
  return { driver, repository };
}

type Repo = Awaited<ReturnType<typeof openRepo>>['repository'];

/** A backup the way the service runs one: under the repository's shared lock. */
function backup(repository: Repo, backupId: string, files: Map<string, Buffer>, gate?: Promise<void>) {
  return withRepositoryLock(
    repository.driver,
    'shared',
    () =>
      runBackup({
        repository,
        source: memorySource(files, gate),
        context: { signal: new AbortController().signal, parent: null, full: false },
        jobId: 'job_gc',
        backupId,
        backupType: 'incremental',
        compression: { algorithm: 'none' },
      }),
    { retryMs: 10, owner: backupId },
  );
}

async function assertRestorable(repository: Repo, expected: Map<string, Map<string, string>>) {
  const ids = await repository.listSnapshotIds();
  expect(ids.sort()).toEqual([...expected.keys()].sort());
  for (const id of ids) {
    const manifest = await repository.readManifest(id);
    const target = hashingTarget();
    await runRestore({ repository, manifest, target });
    expect(Object.fromEntries(target.hashes)).toEqual(Object.fromEntries(expected.get(id) ?? new Map()));
  }
}

async function referencedChunks(repository: Repo): Promise<Set<string>> {
  const refs = new Set<string>();
  for (const id of await repository.listSnapshotIds()) {
    for (const entry of (await repository.readManifest(id)).entries)
      for (const c of entry.chunks) refs.add(c.id);
  }
  return refs;
}

describe('collectGarbage', () => {
  it('deletes exactly the chunks no manifest references; dry run deletes nothing', async () => {
    const { repository } = await openRepo();
    const shared = randomBytes(200_000);
    await backup(repository, 'backup_a', new Map([['a', Buffer.concat([shared, randomBytes(100_000)])]]));
    await backup(repository, 'backup_b', new Map([['b', Buffer.concat([shared, randomBytes(100_000)])]]));
    const before = new Set<string>();
    for await (const { id } of repository.listChunks()) before.add(id);
    const refsB = new Set([
      ...(await repository.readManifest('backup_b')).entries.flatMap((e) => e.chunks.map((c) => c.id)),
    ]);
    await repository.deleteSnapshot('backup_a');

    const dry = await collectGarbage(repository, { graceMs: 0, dryRun: true });
    expect(dry).toMatchObject({ dry_run: true, snapshots: 1, stored_chunks: before.size });
    expect(dry.deleted_chunks).toBe(before.size - refsB.size);
    expect(dry.deleted_chunks).toBeGreaterThan(3);
    let count = 0;
    for await (const _ of repository.listChunks()) count++;
    expect(count).toBe(before.size);

    const real = await collectGarbage(repository, { graceMs: 0 });
    expect(real.deleted_chunks).toBe(dry.deleted_chunks);
    expect(real.deleted_bytes).toBeGreaterThan(90_000);
    // backup_a's pack held the shared chunks too: they were repacked, the pack deleted.
    expect(real).toMatchObject({ repacked_packs: 1, written_packs: 1, deleted_packs: 1 });
    const after = new Set<string>();
    for await (const { id } of repository.listChunks()) after.add(id);
    expect(after).toEqual(refsB);
    const target = hashingTarget();
    await runRestore({ repository, manifest: await repository.readManifest('backup_b'), target });
    expect(target.hashes.size).toBe(1);
    expect(await listLiveLocks(repository.driver, new Date())).toEqual([]);
  });

  it('spares unreferenced chunks younger than the grace window', async () => {
    const { repository } = await openRepo();
    await backup(repository, 'backup_a', new Map([['a', randomBytes(100_000)]]));
    await repository.deleteSnapshot('backup_a');
    const spared = await collectGarbage(repository, { graceMs: 60 * 60_000 });
    expect(spared.deleted_chunks).toBe(0);
    expect(spared.spared_recent_chunks).toBe(spared.unreferenced_chunks);
    expect(spared.unreferenced_chunks).toBeGreaterThan(3);

    // Ages are measured on the store's clock: a host clock far off (here a simulated 2020) changes nothing.
    await new Promise((r) => setTimeout(r, 400));
    const skewed = await collectGarbage(repository, {
      graceMs: 200,
      clock: new ManualClock('2020-01-01T00:00:00Z'),
    });
    expect(skewed.deleted_chunks).toBe(spared.unreferenced_chunks);
    expect(skewed.spared_recent_chunks).toBe(0);
  });

  it('a backup that listed chunks it will reuse blocks GC until its manifest is written; its reused chunks survive', async () => {
    const { repository } = await openRepo();
    const payload = randomBytes(300_000);
    await backup(repository, 'backup_old', new Map([['data', payload]]));
    // Retention forgets the old backup: its chunks are now unreferenced, and old enough to go.
    await repository.deleteSnapshot('backup_old');

    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // The new backup holds its shared lock, has listed the stored chunks, and will reuse them all.
    const running = backup(
      repository,
      'backup_new',
      new Map([
        ['first', randomBytes(10)],
        ['data', payload],
      ]),
      gate,
    );
    await expect.poll(async () => (await listLiveLocks(repository.driver, new Date())).length).toBe(1);

    await expect(collectGarbage(repository, { graceMs: 0 })).rejects.toMatchObject({ code: 'conflict' });
    open();
    const manifest = await running;
    expect(manifest.totals.new_chunks).toBeLessThanOrEqual(2); // everything of `data` was reused
    const result = await collectGarbage(repository, { graceMs: 0 });
    expect(result.deleted_chunks).toBe(0);
    await assertRestorable(
      repository,
      new Map([
        [
          'backup_new',
          new Map([
            ['first', expect.any(String) as unknown as string],
            ['data', sha256(payload)],
          ]),
        ],
      ]),
    );
  });

  it('control: the same interleaving without the lock loses data (what the lock prevents)', async () => {
    const { repository } = await openRepo();
    const payload = randomBytes(300_000);
    await backup(repository, 'backup_old', new Map([['data', payload]]));
    await repository.deleteSnapshot('backup_old');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const running = backup(
      repository,
      'backup_new',
      new Map([
        ['first', randomBytes(10)],
        ['data', payload],
      ]),
      gate,
    );
    await expect.poll(async () => (await listLiveLocks(repository.driver, new Date())).length).toBe(1);
    // A naive collector that ignores locks: delete every pack no manifest references a chunk of.
    const refs = await referencedChunks(repository);
    const { chunks } = await (await Repository.open(repository.driver, { keyProvider: KEYS })).loadIndex();
    const live = new Set<string>();
    const all = new Set<string>();
    for (const [id, location] of chunks.entries()) {
      all.add(location.pack);
      if (refs.has(id)) live.add(location.pack);
    }
    for (const pack of all) if (!live.has(pack)) await repository.driver.delete(packKey(pack));
    expect(all.size).toBeGreaterThan(live.size);
    open();
    await running;
    const manifest = await repository.readManifest('backup_new');
    await expect(runRestore({ repository, manifest, target: hashingTarget() })).rejects.toMatchObject({
      code: 'integrity_error',
    });
  });

  it('a backup started while GC holds the exclusive lock waits for it, then commits whole', async () => {
    const { driver, repository } = await openRepo();
    const payload = randomBytes(400_000);
    await backup(repository, 'backup_1', new Map([['x', payload]]));
    await repository.deleteSnapshot('backup_1');
    // A pack and an index object to delete: slow enough to hold the lock a while.
    driver.delayMs = 200;
    const gc = collectGarbage(repository, { graceMs: 0 }).then((r) => ({ r, at: Date.now() }));
    await expect
      .poll(async () => (await listLiveLocks(repository.driver, new Date())).map((l) => l.kind))
      .toEqual(['exclusive']);
    let lockedAt = 0;
    const late = withRepositoryLock(
      repository.driver,
      'shared',
      async () => {
        lockedAt = Date.now();
        return runBackup({
          repository,
          source: memorySource(new Map([['x', payload]])),
          context: { signal: new AbortController().signal, parent: null, full: false },
          jobId: 'job_gc',
          backupId: 'backup_2',
          backupType: 'incremental',
          compression: { algorithm: 'none' },
        });
      },
      { retryMs: 10 },
    );
    const [{ r, at }] = await Promise.all([gc, late]);
    expect(r.deleted_chunks).toBeGreaterThan(5);
    expect(lockedAt).toBeGreaterThanOrEqual(at - 5);
    driver.delayMs = 0;
    await assertRestorable(repository, new Map([['backup_2', new Map([['x', sha256(payload)]])]]));
  });

  it('an exclusive lock refuses while a shared one lives; a stale (expired) lock does not block', async () => {
    const { repository } = await openRepo();
    const clock = { now: () => new Date() };
    const shared = await acquireRepositoryLock(repository.driver, 'shared', { ttlMs: 60_000 });
    await expect(acquireRepositoryLock(repository.driver, 'exclusive', { waitMs: 0 })).rejects.toMatchObject({
      code: 'conflict',
      details: { locks: [expect.objectContaining({ kind: 'shared' })] },
    });
    // Two shared locks coexist.
    const shared2 = await acquireRepositoryLock(repository.driver, 'shared');
    await shared.release();
    await shared2.release();
    // A holder that died leaves a lock behind; once expired it is ignored.
    const deadHolder = await acquireRepositoryLock(repository.driver, 'shared', { ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const exclusive = await acquireRepositoryLock(repository.driver, 'exclusive', { clock });
    expect(exclusive.kind).toBe('exclusive');
    await exclusive.release();
    await deadHolder.release();
  });

  it('randomized: backups, retention, GC and concurrent backup+GC keep every remaining backup restorable', async () => {
    const { driver, repository } = await openRepo();
    let seed = 20240115;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const pool = Array.from({ length: 6 }, () => randomBytes(60_000 + Math.floor(rand() * 120_000)));
    const mutate = (b: Buffer) => {
      const at = Math.floor(rand() * b.length);
      return Buffer.concat([b.subarray(0, at), randomBytes(1 + Math.floor(rand() * 3000)), b.subarray(at)]);
    };
    const expected = new Map<string, Map<string, string>>();
    const createdAt = new Map<string, string>();
    let n = 0;
    let day = Date.parse('2024-01-01T02:00:00Z');
    const makeFiles = () => {
      const files = new Map<string, Buffer>();
      const count = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < count; i++) {
        const index = Math.floor(rand() * pool.length);
        if (rand() < 0.3) pool[index] = mutate(pool[index] as Buffer);
        files.set(`f${index}`, pool[index] as Buffer);
      }
      return files;
    };
    const doBackup = async (gate?: Promise<void>) => {
      const id = `backup_${String(++n).padStart(3, '0')}`;
      const files = makeFiles();
      day += Math.floor(1 + rand() * 3) * 86_400_000;
      await backup(repository, id, files, gate);
      expected.set(id, new Map([...files].map(([k, v]) => [k, sha256(v)])));
      createdAt.set(id, new Date(day).toISOString());
    };
    const doRetention = async () => {
      const plan = planRetention(
        [...expected.keys()].map((id) => ({
          backup_id: id,
          created_at: createdAt.get(id) ?? '',
          status: 'completed',
        })),
        { last: Math.floor(rand() * 3), days: Math.floor(rand() * 3), weeks: Math.floor(rand() * 2) },
        { timezone: 'UTC', now: new Date(day) },
      );
      for (const d of plan.forget) {
        await repository.deleteSnapshot(d.backup_id);
        expected.delete(d.backup_id);
      }
    };
    const gcWaiting = () => collectGarbage(repository, { graceMs: 0, lock: { waitMs: 30_000, retryMs: 10 } });

    let concurrentRuns = 0;
    for (let step = 0; step < 28; step++) {
      const action = pick(['backup', 'backup', 'retention', 'gc', 'concurrent']);
      if (action === 'backup') await doBackup();
      if (action === 'retention') await doRetention();
      if (action === 'gc') await gcWaiting();
      if (action === 'concurrent') {
        concurrentRuns++;
        await doRetention();
        driver.delayMs = 3;
        if (rand() < 0.5) {
          // GC first; the backup (reusing pool content) waits for the exclusive lock.
          const gc = gcWaiting();
          await new Promise((r) => setTimeout(r, 5));
          await Promise.all([gc, doBackup()]);
        } else {
          // Backup first, paused after listing chunks; GC waits for its shared lock.
          let open!: () => void;
          const gate = new Promise<void>((resolve) => {
            open = resolve;
          });
          const b = doBackup(gate);
          await expect
            // Waits for an event, not a deadline: under CI load taking the lock can take seconds.
            .poll(async () => (await listLiveLocks(repository.driver, new Date())).length, {
              timeout: 30_000,
            })
            .toBeGreaterThan(0);
          const gc = gcWaiting();
          await new Promise((r) => setTimeout(r, 20));
          open();
          await Promise.all([b, gc]);
        }
        driver.delayMs = 0;
      }
      await assertRestorable(repository, expected);
    }
    expect(concurrentRuns).toBeGreaterThan(0);

    // Finally: with a grace window (and repacking at any unreferenced share), nothing
    // unreferenced is left in a pack older than the window...
    const graceMs = 1500;
    const started = Date.now();
    await collectGarbage(repository, { graceMs, repackThreshold: 0 });
    const refs = await referencedChunks(repository);
    const index = await repository.refreshIndex();
    for (const [id, location] of index.chunks.entries()) {
      const pack = index.packs.get(location.pack)!;
      if (!refs.has(id)) expect(pack.lastModified.getTime()).toBeGreaterThan(started - graceMs);
    }
    // ...and with none, nothing unreferenced at all; every backup still restores.
    await collectGarbage(repository, { graceMs: 0, repackThreshold: 0 });
    const left: string[] = [];
    for await (const { id } of repository.listChunks()) if (!refs.has(id)) left.push(id);
    expect(left).toEqual([]);
    const final = await repository.refreshIndex();
    expect(final.indexNames).toHaveLength(1); // consolidated
    expect(final.unindexedPacks).toEqual([]);
    await assertRestorable(repository, expected);
    expect(expected.size).toBeGreaterThan(0);
  });
});
