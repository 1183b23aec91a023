import { mkdir, mkdtemp, readlink, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  createFilesystemRestoreTarget,
  filesystemSourceKind,
  isBackupError,
  type ManifestEntry,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAll, restoreWith } from './tree-helpers.js';

let dir = '';
let out = '';
let outside = '';

beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'bk-fs-restore-confine-')));
  out = path.join(dir, 'out');
  outside = path.join(dir, 'outside');
  await mkdir(outside);
});

afterEach(() => rm(dir, { recursive: true, force: true }));

const directory = (name: string): ManifestEntry => ({
  name,
  kind: 'directory',
  size: 0,
  chunks: [],
  metadata: {},
});
const link = (name: string, target: string): ManifestEntry => ({
  name,
  kind: 'symlink',
  size: 0,
  chunks: [],
  metadata: { target },
});
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const file = (name: string): ManifestEntry => ({
  name,
  kind: 'file',
  size: 0,
  sha256: EMPTY_SHA256,
  chunks: [],
  metadata: {},
});
const content = (entry: ManifestEntry) => (entry.kind === 'file' ? Readable.from([]) : null);

async function links(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await listAll(root)) {
    const target = await readlink(path.join(root, name)).catch(() => null);
    if (target !== null) out[name] = target;
  }
  return out;
}

// Links a backup of some other tree could hold: some stay inside the restore directory, some do not.
const TREE: ManifestEntry[] = [
  file('file.txt'),
  directory('a'),
  directory('a/b'),
  link('abs', '/etc'),
  link('rel', '../outside'),
  link('a/b/up', '../../../../escape'),
  link('a/b/ok', '../../file.txt'),
  link('self', '.'),
  link('a/b/top', '../..'), // the restore directory itself
  // `..` alone says a/b/x (inside), but `top` leads to the root first: two levels above it.
  link('a/b/esc', 'top/../../x'),
  link('a/chain', 'b/ok'),
  link('a/dangling', 'b/missing/file'),
  link('a/climb', 'missing/../../..'),
];

describe('filesystem restore target: symlinks leading outside', () => {
  it('skips links leading outside, with a warning each, and creates those staying inside', async () => {
    const summary = await restoreWith(createFilesystemRestoreTarget({ path: out }), TREE, content);
    expect(await links(out)).toEqual({
      'a/b/ok': '../../file.txt',
      'a/b/top': '../..',
      'a/chain': 'b/ok',
      'a/dangling': 'b/missing/file',
      self: '.',
    });
    expect(summary).toMatchObject({ files: 1, symlinks: 5, symlinks_skipped: 5 });
    expect(summary.warnings).toEqual([
      'Symlink abs → /etc points outside the restore directory; not created',
      'Symlink rel → ../outside points outside the restore directory; not created',
      'Symlink a/b/up → ../../../../escape points outside the restore directory; not created',
      'Symlink a/b/esc → top/../../x points outside the restore directory; not created',
      'Symlink a/climb → missing/../../.. points outside the restore directory; not created',
    ]);
  });

  it('creates every link when allowExternalSymlinks is set', async () => {
    const summary = await restoreWith(
      createFilesystemRestoreTarget({ path: out, allowExternalSymlinks: true }),
      TREE,
      content,
    );
    expect(Object.keys(await links(out))).toHaveLength(10);
    expect(await readlink(path.join(out, 'abs'))).toBe('/etc');
    expect(summary).toMatchObject({ symlinks: 10, symlinks_skipped: 0, warnings: [] });
  });

  it('a link a first restore was allowed to create is never written through by a second one', async () => {
    await restoreWith(
      createFilesystemRestoreTarget({ path: out, allowExternalSymlinks: true }),
      [link('data', outside)],
      content,
    );
    expect(await readlink(path.join(out, 'data'))).toBe(outside);
    for (const overwriteExisting of [false, true]) {
      const error = await restoreWith(
        createFilesystemRestoreTarget({ path: out, overwriteExisting }),
        [file('data/planted.txt'), file('data/sub/deeper.txt')],
        content,
      ).catch((e: unknown) => e);
      expect(isBackupError(error, 'restore_failed'), String(error)).toBe(true);
      expect(await listAll(outside)).toEqual([]);
    }
  });

  it('the kind creates external links only when both the destination and the host allow it', async () => {
    const restore = async (destination: Record<string, unknown>, allowExternalSymlinks?: boolean) => {
      await rm(out, { recursive: true, force: true });
      const environment =
        allowExternalSymlinks === undefined ? undefined : { deniedPaths: [], allowExternalSymlinks };
      const target = filesystemSourceKind.createRestoreTarget(
        { type: 'filesystem', path: out, ...destination },
        {},
        environment,
      );
      const summary = await restoreWith(target, [link('abs', '/etc')], content);
      return summary.symlinks_skipped;
    };
    expect(await restore({})).toBe(1);
    expect(await restore({ allow_external_symlinks: true })).toBe(0);
    expect(await restore({ allow_external_symlinks: true }, false)).toBe(1);
    expect(await restore({}, true)).toBe(1);
    expect(await restore({ allow_external_symlinks: true }, true)).toBe(0);
  });
});

describe('filesystem restore target: denied paths', () => {
  const own = () => path.join(out, 'app', '.backupkit');

  it('refuses entries inside a denied path before writing anything', async () => {
    const error = await restoreWith(
      createFilesystemRestoreTarget({ path: out, deniedPaths: [own()] }),
      [directory('app'), file('app/config.json'), file('app/.backupkit/catalog.db')],
      content,
    ).catch((e: unknown) => e);
    expect(isBackupError(error, 'forbidden'), String(error)).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({
      issue: 'denied',
      entry: 'app/.backupkit/catalog.db',
    });
    expect(await listAll(dir)).toEqual(['outside']);
  });

  it('refuses a file or symlink that would replace a directory holding a denied path', async () => {
    await mkdir(own(), { recursive: true });
    for (const entry of [file('app'), link('app', 'elsewhere')]) {
      const error = await restoreWith(
        createFilesystemRestoreTarget({ path: out, deniedPaths: [own()], overwriteExisting: true }),
        [entry],
        content,
      ).catch((e: unknown) => e);
      expect(isBackupError(error, 'forbidden'), String(error)).toBe(true);
      expect(await listAll(out)).toEqual(['app', 'app/.backupkit']);
    }
    // Beside the denied directory, restoring goes on as usual.
    await restoreWith(
      createFilesystemRestoreTarget({ path: out, deniedPaths: [own()] }),
      [directory('app'), file('app/config.json')],
      content,
    );
    expect(await listAll(out)).toEqual(['app', 'app/.backupkit', 'app/config.json']);
  });

  it('refuses a restore directory inside a denied path, also through a symlink', async () => {
    await mkdir(own(), { recursive: true });
    await symlink(own(), path.join(dir, 'own-link'));
    for (const target of [own(), path.join(own(), 'new'), path.join(dir, 'own-link', 'new')]) {
      const error = await restoreWith(
        createFilesystemRestoreTarget({ path: target, deniedPaths: [own()] }),
        [file('x')],
        content,
      ).catch((e: unknown) => e);
      expect(isBackupError(error, 'forbidden'), target).toBe(true);
    }
    expect(await listAll(own())).toEqual([]);
  });
});
