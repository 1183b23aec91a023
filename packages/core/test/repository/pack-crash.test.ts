import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  collectGarbage,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
  runRestore,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSource, tempDriver } from '../engine/fixtures.js';
import { hashingTarget, sha256 } from '../retention/gc-support.js';
import { SMALL_PACKS } from './small-packs.js';

// SIGKILL at each step where format 2 writes or deletes something: mid-pack and mid-index in a
// backup; mid-repack, mid-index and mid-delete in garbage collection. Afterwards no partial
// backup is visible, every committed backup restores, and a later backup and collection leave
// the repository whole (nothing referenced was deleted).

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const keys = new LocalKeyProvider({ k1: Buffer.alloc(32, 11) });
const MiB = 1024 * 1024;

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

const open = () =>
  Repository.open(new LocalStorageDriver({ root }), {
    keyProvider: keys,
    encryption: { enabled: true, keyId: 'k1' },
    create: true,
    ...SMALL_PACKS,
  });

async function backup(backupId: string, files: Record<string, Buffer>): Promise<Manifest> {
  return runBackup({
    repository: await open(),
    source: new FakeSource(Object.entries(files).map(([name, data]) => ({ name, data }))),
    context: { signal: new AbortController().signal, parent: null, full: false },
    jobId: 'job_crash',
    backupId,
    backupType: 'full',
    compression: { algorithm: 'none' },
  });
}

/** Runs the child until it reports reaching `step`, then SIGKILLs it. */
function killAt(step: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'fixtures', 'pack-crash-child.ts'), root, step],
    {
      cwd: repoRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child never reached ${step}: ${output}`));
    }, 60_000);
    const collect = (data: Buffer) => {
      output += data.toString();
      if (output.includes(`TRAP ${step}`)) child.kill('SIGKILL');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && output.includes(`TRAP ${step}`)) resolve(output);
      else reject(new Error(`the child ended (${signal}) before ${step}: ${output}`));
    });
  });
}

async function expectRestorable(expected: Map<string, Record<string, Buffer>>): Promise<void> {
  const repository = await open();
  expect((await repository.listSnapshotIds()).sort()).toEqual([...expected.keys()].sort());
  for (const [backupId, files] of expected) {
    const target = hashingTarget();
    await runRestore({ repository, manifest: await repository.readManifest(backupId), target });
    expect(Object.fromEntries(target.hashes)).toEqual(
      Object.fromEntries(Object.entries(files).map(([name, data]) => [name, sha256(data)])),
    );
  }
}

describe('SIGKILL during format-2 writes', () => {
  for (const step of ['pack', 'index', 'repack', 'gc-index', 'gc-delete']) {
    it(`killed mid-${step}: nothing partial is visible, every backup restores, and the next runs heal it`, async () => {
      const shared = randomBytes(6 * MiB);
      const first = { shared, own: randomBytes(6 * MiB) };
      const second = { shared, own: randomBytes(3 * MiB) };
      await backup('bk_1', first);
      await backup('bk_2', second);
      const expected = new Map<string, Record<string, Buffer>>([
        ['bk_1', first],
        ['bk_2', second],
      ]);
      if (step !== 'pack' && step !== 'index') {
        // Garbage for the collection to work on: bk_1's own chunks, in packs with bk_2's shared ones.
        await (await open()).deleteSnapshot('bk_1');
        expected.delete('bk_1');
      }

      await killAt(step);
      // The killed process's lock would expire on its own; the test does not wait for that.
      await rm(path.join(root, 'locks'), { recursive: true, force: true });
      await expectRestorable(expected);

      // The next backup and a full collection complete, and leave nothing referenced missing.
      const third = { more: randomBytes(2 * MiB), shared };
      await backup('bk_3', third);
      expected.set('bk_3', third);
      const collected = await collectGarbage(await open(), { graceMs: 0, repackThreshold: 0 });
      expect(collected.unreadable_packs).toBe(0);
      await expectRestorable(expected);
      const index = await (await open()).loadIndex();
      expect(index.unindexedPacks).toEqual([]);
      expect(index.indexNames).toHaveLength(1);
      const referenced = new Set<string>();
      for (const backupId of expected.keys()) {
        for (const entry of (await (await open()).readManifest(backupId)).entries)
          for (const chunk of entry.chunks) referenced.add(chunk.id);
      }
      expect(index.chunks.size).toBe(referenced.size);
      // Only whole packs are listed: a half-written one never appears under its name.
      const packFiles = (await readdir(path.join(root, 'data'), { recursive: true })).filter((p) =>
        /[0-9a-f]{64}$/.test(p),
      );
      expect(packFiles).toHaveLength(index.packs.size);
    });
  }
});
