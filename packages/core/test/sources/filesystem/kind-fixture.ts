import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SourceKindFixture } from '@backupkit/core/testing';
import { expect } from 'vitest';
import { snapshotTree } from './tree-helpers.js';

/** Files (one empty, one incompressible), nested directories and an inside symlink. */
async function makeTree(root: string): Promise<void> {
  await mkdir(path.join(root, 'docs', 'guide'), { recursive: true });
  await mkdir(path.join(root, 'data'));
  await writeFile(path.join(root, 'docs', 'readme.md'), '# Readme\n');
  await writeFile(path.join(root, 'docs', 'guide', 'intro.txt'), 'intro '.repeat(5000));
  await writeFile(path.join(root, 'data', 'blob.bin'), randomBytes(300_000));
  await writeFile(path.join(root, 'data', 'empty.txt'), '');
  await writeFile(path.join(root, 'top.txt'), 'top\n');
  await symlink('top.txt', path.join(root, 'top-link'));
}

/** The directory source's conformance fixture: a small tree, restored into fresh directories. */
export async function filesystemKindFixture(): Promise<SourceKindFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bk-fs-kind-'));
  const source = path.join(dir, 'source');
  await mkdir(source);
  await makeTree(source);
  let restores = 0;
  return {
    source: { type: 'filesystem', path: source },
    invalidSources: [
      { type: 'filesystem' },
      { type: 'filesystem', path: '' },
      { type: 'filesystem', path: source, include: '*.txt' },
    ],
    destination: async () => ({ type: 'filesystem', path: path.join(dir, `restore-${++restores}`) }),
    subset: {
      select: { paths: ['docs'] },
      entries: ['docs', 'docs/guide', 'docs/guide/intro.txt', 'docs/readme.md'],
    },
    selectNothing: { paths: ['no/such/file'] },
    async compare(destination, only) {
      const original = await snapshotTree(source);
      const restored = await snapshotTree(String(destination.path));
      const expected = only ? new Map([...original].filter(([name]) => only.includes(name))) : original;
      expect(restored).toEqual(expected);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
