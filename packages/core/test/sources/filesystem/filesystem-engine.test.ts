import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createFilesystemRestoreTarget,
  createFilesystemSource,
  LocalStorageDriver,
  type Manifest,
  Repository,
  runRestore,
  selectFilesystemEntries,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, keyProvider } from './engine-helpers.js';
import { snapshotTree, type TreeRecord } from './tree-helpers.js';

// End to end through the real engine: filesystem source → FastCDC → zstd → AES-256-GCM →
// LocalStorageDriver, and back through runRestore into the filesystem restore target.

let dir = '';
let src = '';
let driver: LocalStorageDriver;
let manifest: Manifest;
let original: Map<string, TreeRecord>;

const DIRS = 30;
const FILES_PER_DIR = 100;
const UNICODE_DIR = 'ünïcödé 日本 — spaced';

/** 3,000 small files (some empty), unicode names, empty dirs, symlinks, assorted modes and mtimes. */
async function buildTree(root: string): Promise<void> {
  const modes = [0o644, 0o600, 0o755, 0o400, 0o640];
  for (let d = 0; d < DIRS; d++) {
    const dirName = d === 0 ? UNICODE_DIR : `d${String(d).padStart(2, '0')}`;
    await mkdir(path.join(root, dirName, 'sub'), { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) {
      const i = d * FILES_PER_DIR + f;
      const name = f % 10 === 0 ? `sub/file ${f} ✓.txt` : `file-${f}.dat`;
      const size = i % 17 === 0 ? 0 : (i * 7919) % 5000;
      const file = path.join(root, dirName, name);
      await writeFile(file, Buffer.alloc(size, `${i}:`));
      await chmod(file, modes[i % modes.length]!);
      // Distinct mtimes with sub-millisecond parts.
      const seconds = 1_700_000_000 + i * 61 + (i % 1000) / 1000 + 0.000_123;
      await utimes(file, seconds, seconds);
    }
  }
  await mkdir(path.join(root, 'empty', 'nested', 'deeper'), { recursive: true });
  await mkdir(path.join(root, 'empty-too'));
  await symlink('d01/file-1.dat', path.join(root, 'relative-link'));
  await symlink('/definitely/not/here', path.join(root, 'dangling-link'));
  await symlink(UNICODE_DIR, path.join(root, 'dir-link'));
  await chmod(path.join(root, 'd02'), 0o750);
  await chmod(path.join(root, 'empty', 'nested'), 0o700);
  await utimes(path.join(root, 'empty', 'nested', 'deeper'), 1_600_000_000.5, 1_600_000_000.5);
  await utimes(path.join(root, 'd03'), 1_650_000_000, 1_650_000_000);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bk-fs-engine-'));
  src = path.join(dir, 'src');
  await mkdir(src);
  await buildTree(src);
  original = await snapshotTree(src);
  // A scratch repository: this test is about the tree, not about surviving power loss, and
  // 3,000 chunks × 2 fsyncs dominate its time on a busy disk.
  driver = new LocalStorageDriver({ root: path.join(dir, 'repo'), fsync: false });
  manifest = await backup(driver, createFilesystemSource({ path: src }), 'backup_tree');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('filesystem backup and restore through the engine', () => {
  it('backs up every file, directory and symlink of a 3,000-file tree', () => {
    const kinds = (kind: string) => manifest.entries.filter((entry) => entry.kind === kind).length;
    expect(kinds('file')).toBe(DIRS * FILES_PER_DIR);
    expect(kinds('symlink')).toBe(3);
    expect(kinds('directory')).toBe(DIRS * 2 + 4);
    expect(manifest.entries.length).toBe(original.size);
    expect(manifest.entries.map((entry) => entry.name)).toEqual(
      [...manifest.entries.map((entry) => entry.name)].sort((a, b) => {
        // pre-order: compare segment by segment
        const as = a.split('/');
        const bs = b.split('/');
        for (let i = 0; i < Math.min(as.length, bs.length); i++) {
          if (as[i] !== bs[i]) return (as[i] as string) < (bs[i] as string) ? -1 : 1;
        }
        return as.length - bs.length;
      }),
    );
    expect(manifest.source).toEqual({ type: 'filesystem', path: src, include: [], exclude: [] });
  });

  it('restores the tree byte-identical with modes, mtimes, symlinks and empty directories', async () => {
    const out = path.join(dir, 'restored-all');
    const result = await runRestore({
      repository: await Repository.open(driver, { keyProvider }),
      manifest,
      // The tree holds an absolute symlink leading outside: restored only when allowed.
      target: createFilesystemRestoreTarget({ path: out, allowExternalSymlinks: true }),
    });
    const restored = await snapshotTree(out);
    expect(restored.size).toBe(original.size);
    for (const [name, record] of original) expect(restored.get(name), name).toEqual(record);
    expect(result.details).toMatchObject({ files: DIRS * FILES_PER_DIR, symlinks: 3 });
  });

  it('restores only the selected paths', async () => {
    const paths = ['d07', `${UNICODE_DIR}/sub/file 10 ✓.txt`, 'relative-link', 'empty'];
    const out = path.join(dir, 'restored-some');
    await runRestore({
      repository: await Repository.open(driver, { keyProvider }),
      manifest,
      entries: selectFilesystemEntries(manifest.entries, paths),
      target: createFilesystemRestoreTarget({ path: out, paths }),
    });
    const restored = await snapshotTree(out);
    const selected = (name: string) => paths.some((p) => name === p || name.startsWith(`${p}/`));
    for (const [name, record] of original) {
      if (selected(name)) expect(restored.get(name), name).toEqual(record);
    }
    // Besides the selection, only the directories leading to it exist (without restored metadata).
    const extra = [...restored.keys()].filter((name) => !selected(name));
    expect(extra).toEqual([UNICODE_DIR, `${UNICODE_DIR}/sub`]);
    expect([...restored.keys()].filter((name) => name.startsWith('d07/')).length).toBe(FILES_PER_DIR + 1);
  });
});
