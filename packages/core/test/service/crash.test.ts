import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BackupService,
  createBackupService,
  LocalKeyProvider,
  LocalStorageDriver,
  Repository,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedChunkIds } from '../../../../test-support/chunk-blobs.js';
import { TEMP_ACCESS, tempDir, treeDigest } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const KEYS = `crash_key:${Buffer.alloc(32, 5).toString('base64')}`;
const MiB = 1024 * 1024;

async function writeFiles(dir: string, prefix: string, count: number, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(path.join(dir, `${prefix}-${i}.bin`), randomBytes(size));
}

interface Child {
  process: ChildProcess;
  lines: string[];
  waitFor(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

function spawnChild(dataDir: string, jobId: string): Child {
  // `node --import tsx` (not the tsx CLI, which forks a second process a SIGKILL would not reach).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'fixtures', 'crash-child.ts'), dataDir, jobId],
    {
      cwd: repoRoot,
      env: { ...process.env, BACKUPKIT_KEYS: KEYS, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let buffer = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
      newline = buffer.indexOf('\n');
    }
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    process: child,
    lines,
    exited,
    waitFor(match, timeoutMs = 60_000) {
      const existing = lines.find(match);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child did not print the line; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => reject(new Error(`child exited early: ${lines.join(' | ')} ${stderr}`)));
      });
    },
  };
}

describe('a backup process killed with SIGKILL', () => {
  let dataDir: string;
  let source: string;
  const dirs: string[] = [];
  const keys = LocalKeyProvider.fromEnv(KEYS);
  const open = (): BackupService => createBackupService({ dataDir, keys, access: TEMP_ACCESS });

  beforeAll(async () => {
    dataDir = await tempDir('crash');
    source = await tempDir('crash-src');
    dirs.push(dataDir, source);
  });
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('commits nothing, keeps earlier backups restorable, and a re-run reuses the chunks already written', async () => {
    // An earlier backup of a small first state.
    await writeFiles(path.join(source, 'first'), 'a', 4, MiB);
    const firstDigest = await treeDigest(source);
    let service = open();
    const job = await service.createJob({
      job_name: 'Crash',
      backup_type: 'incremental',
      source: { type: 'filesystem', path: source },
      destination: { type: 'local', path: 'crash' },
      compression: { enabled: true, algorithm: 'zstd', level: 1 },
      encryption: { enabled: true, key_id: 'crash_key' },
    });
    const jobId = String(job.job_id);
    const first = await service.waitFor((await service.executeJob(jobId)).execution_id);
    expect(first.status).toBe('completed');
    const firstBackupId = String((first.result as View).backup_id);
    await service.stop();

    // ~60 MB more, then kill runs at several points.
    await writeFiles(path.join(source, 'more'), 'b', 28, 2 * MiB);
    const snapshotsDir = path.join(dataDir, 'storage', 'crash', 'snapshots');
    // Chunks in stored packs, indexed or not (a killed run's packs are in no index object: they
    // are read from their headers). Killed puts may leave temp files beside the packs; only
    // committed pack objects count.
    const chunksWritten = () => storedChunkIds(path.join(dataDir, 'storage', 'crash'), keys);
    const chunksBefore = await chunksWritten();
    const killPoints: Array<{ label: string; when: (child: Child) => Promise<unknown> }> = [
      {
        label: '0.2 s after start',
        when: (c) => c.waitFor((l) => l.startsWith('STARTED')).then(() => delay(200)),
      },
      {
        label: '0.5 s after start',
        when: (c) => c.waitFor((l) => l.startsWith('STARTED')).then(() => delay(500)),
      },
      { label: 'at 50%', when: (c) => c.waitFor((l) => /^PROGRESS ([5-9]\d)$/.test(l)) },
      { label: 'at 90%', when: (c) => c.waitFor((l) => /^PROGRESS (9\d)$/.test(l)) },
    ];
    for (const point of killPoints) {
      const child = spawnChild(dataDir, jobId);
      await point.when(child);
      child.process.kill('SIGKILL');
      await child.exited;
      expect(
        child.lines.filter((l) => l.startsWith('DONE')),
        `${point.label}: ${child.lines.join(' | ')}`,
      ).toEqual([]);
      // Only the earlier backup is committed in storage.
      expect(await readdir(snapshotsDir), point.label).toEqual([`${firstBackupId}.json`]);
    }
    const orphans = [...(await chunksWritten())].filter((id) => !chunksBefore.has(id));
    const orphanChunks = orphans.length;
    expect(orphanChunks).toBeGreaterThan(0);

    // A restarted service marks the dead runs failed; only the earlier backup is listed, and it restores exactly.
    service = open();
    const executions = (await service.listExecutions(jobId)).executions as View[];
    expect(executions.filter((e) => e.status === 'running' || e.status === 'queued')).toEqual([]);
    expect(executions.filter((e) => e.status === 'failed').length).toBe(killPoints.length);
    const listed = await service.listBackups({ job_id: jobId });
    expect((listed.files as View[]).map((f) => f.backup_id)).toEqual([firstBackupId]);
    const earlierTarget = await tempDir('crash-restore-1');
    dirs.push(earlierTarget);
    const restore = await service.createRestore({
      backup_id: firstBackupId,
      destination: { type: 'filesystem', path: earlierTarget },
    });
    expect((await service.waitFor(restore.restore_id)).status).toBe('completed');
    expect(await treeDigest(earlierTarget)).toEqual(firstDigest);

    // The re-run completes and writes fewer chunks than a cold backup of the new data would.
    const rerun = await service.waitFor((await service.executeJob(jobId)).execution_id);
    expect(rerun.status).toBe('completed');
    const repository = await Repository.open(
      new LocalStorageDriver({ root: path.join(dataDir, 'storage', 'crash') }),
      {
        keyProvider: keys,
      },
    );
    const before = await repository.readManifest(firstBackupId);
    const after = await repository.readManifest(String((rerun.result as View).backup_id));
    const known = new Set(before.entries.flatMap((e) => e.chunks.map((c) => c.id)));
    const cold = new Set(
      after.entries.flatMap((e) => e.chunks.map((c) => c.id)).filter((id) => !known.has(id)),
    ).size;
    console.info(
      `crash test: ${orphanChunks} chunks left by killed runs; re-run wrote ${after.totals.new_chunks} of the ${cold} a cold run needs`,
    );
    expect(after.totals.new_chunks).toBeLessThan(cold);
    expect(after.totals.new_chunks).toBe(cold - Math.min(cold, orphanChunks));
    const finalTarget = await tempDir('crash-restore-2');
    dirs.push(finalTarget);
    const restore2 = await service.createRestore({
      backup_id: rerun.result!.backup_id,
      destination: { type: 'filesystem', path: finalTarget },
    });
    expect((await service.waitFor(restore2.restore_id)).status).toBe('completed');
    expect(await treeDigest(finalTarget)).toEqual(await treeDigest(source));
    await service.stop();
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
