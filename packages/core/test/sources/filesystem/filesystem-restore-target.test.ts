import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  createFilesystemRestoreTarget,
  createFilesystemSource,
  isBackupError,
  type ManifestEntry,
  selectFilesystemEntries,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, context, listAll, restoreWith, snapshotTree, toManifestEntries } from './tree-helpers.js';

let dir = '';
let src = '';
let out = '';
let entries: ManifestEntry[] = [];
const fromSource = (entry: ManifestEntry) =>
  entry.kind === 'file' ? createReadStream(path.join(src, ...entry.name.split('/'))) : null;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bk-fs-restore-'));
  src = path.join(dir, 'src');
  out = path.join(dir, 'out');
  const files: Record<string, string> = {
    'a.txt': 'alpha',
    'docs/readme.md': '# readme',
    'docs/deep/er/file.bin': 'x'.repeat(100_000),
    'ünï cödé/файл.txt': 'unicode',
    'zero.bin': '',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, name)), { recursive: true });
    await writeFile(path.join(src, name), content);
  }
  await mkdir(path.join(src, 'empty/nested'), { recursive: true });
  await symlink('../a.txt', path.join(src, 'docs/link'));
  await chmod(path.join(src, 'a.txt'), 0o600);
  await chmod(path.join(src, 'docs/deep'), 0o750);
  await utimes(path.join(src, 'docs/deep/er/file.bin'), 1_234_567_890, 1_234_567_890.654321);
  await utimes(path.join(src, 'docs'), 1_000_000_000, 1_000_000_000);
  entries = await toManifestEntries(
    await collect((await createFilesystemSource({ path: src }).open(context())).entries),
  );
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('filesystem restore target', () => {
  it('restores a tree byte-identical, with modes, mtimes (µs), symlinks and empty dirs', async () => {
    const summary = await restoreWith(createFilesystemRestoreTarget({ path: out }), entries, fromSource);
    expect(await snapshotTree(out)).toEqual(await snapshotTree(src));
    expect(summary).toMatchObject({ files: 5, symlinks: 1, bytes: 5 + 8 + 100_000 + 7 });
    expect((await listAll(out)).filter((name) => name.includes('.bk-restore-'))).toEqual([]);
  });

  it('refuses content that does not match the manifest and leaves no file behind', async () => {
    const target = createFilesystemRestoreTarget({ path: out });
    const tampered = (entry: ManifestEntry) =>
      entry.name === 'docs/readme.md' ? Readable.from([Buffer.from('# README')]) : fromSource(entry);
    const error = await restoreWith(target, entries, tampered).catch((e: unknown) => e);
    expect(isBackupError(error, 'integrity_error')).toBe(true);
    expect((error as Error).message).toContain('docs/readme.md');
    const left = await listAll(out);
    expect(left).not.toContain('docs/readme.md');
    expect(left.filter((name) => name.includes('.bk-restore-'))).toEqual([]);
    // A wrong length is caught as well.
    const short = (entry: ManifestEntry) =>
      entry.name === 'a.txt' ? Readable.from([Buffer.from('alph')]) : fromSource(entry);
    const again = await restoreWith(
      createFilesystemRestoreTarget({ path: path.join(dir, 'out2') }),
      entries,
      short,
    ).catch((e: unknown) => e);
    expect(isBackupError(again, 'integrity_error')).toBe(true);
    expect(await listAll(path.join(dir, 'out2'))).not.toContain('a.txt');
  });

  it('rejects entry names that would escape the target before writing anything', async () => {
    for (const name of ['../evil', '/etc/evil', 'a/../../evil', 'a//b', './a', 'a/.']) {
      const bad: ManifestEntry[] = [...entries, { name, kind: 'file', size: 0, chunks: [], metadata: {} }];
      const error = await restoreWith(createFilesystemRestoreTarget({ path: out }), bad, fromSource).catch(
        (e) => e,
      );
      expect(isBackupError(error, 'integrity_error'), name).toBe(true);
      expect(await listAll(dir)).not.toContain('evil');
      expect(await listAll(dir).then((all) => all.some((n) => n.startsWith('out')))).toBe(false);
    }
  });

  it('never writes through a symlink, from the backup or already in the target', async () => {
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    const attack: ManifestEntry[] = [
      { name: 'link', kind: 'symlink', size: 0, chunks: [], metadata: { target: outside } },
      { name: 'link/pwned', kind: 'file', size: 0, chunks: [], metadata: {} },
    ];
    // Even where links leading outside may be created, none is ever written through.
    const first = await restoreWith(
      createFilesystemRestoreTarget({ path: out, allowExternalSymlinks: true }),
      attack,
      () => null,
    ).catch((e) => e);
    expect(isBackupError(first)).toBe(true);
    expect(await listAll(outside)).toEqual([]);

    const out2 = path.join(dir, 'out2');
    await mkdir(out2);
    await symlink(outside, path.join(out2, 'docs'));
    const target = createFilesystemRestoreTarget({ path: out2, overwriteExisting: true });
    const second = await restoreWith(target, entries, fromSource).catch((e) => e);
    expect(isBackupError(second, 'restore_failed')).toBe(true);
    expect(await listAll(outside)).toEqual([]);
  });

  it('refuses to overwrite existing files unless asked to', async () => {
    await mkdir(out);
    await writeFile(path.join(out, 'a.txt'), 'old');
    const error = await restoreWith(createFilesystemRestoreTarget({ path: out }), entries, fromSource).catch(
      (e) => e,
    );
    expect(isBackupError(error, 'conflict')).toBe(true);
    expect(await listAll(out)).toEqual(['a.txt']); // prepare changed nothing
    await restoreWith(
      createFilesystemRestoreTarget({ path: out, overwriteExisting: true }),
      entries,
      fromSource,
    );
    expect(await readFile(path.join(out, 'a.txt'), 'utf8')).toBe('alpha');
    expect(await snapshotTree(out)).toEqual(await snapshotTree(src));
  });

  it('restores only selected paths; a directory brings its subtree', async () => {
    await restoreWith(
      createFilesystemRestoreTarget({ path: out, paths: ['docs/deep', 'a.txt'] }),
      entries,
      fromSource,
    );
    expect(await listAll(out)).toEqual([
      'a.txt',
      'docs',
      'docs/deep',
      'docs/deep/er',
      'docs/deep/er/file.bin',
    ]);
    // Globs match the whole relative path: `*.md` only at the top, `**/*.md` at any depth.
    expect(selectFilesystemEntries(entries, ['*.md']).map((e) => e.name)).toEqual([]);
    expect(selectFilesystemEntries(entries, ['**/*.md']).map((e) => e.name)).toEqual(['docs/readme.md']);
    expect(selectFilesystemEntries(entries, undefined)).toHaveLength(entries.length);
    const out2 = path.join(dir, 'out2');
    await restoreWith(createFilesystemRestoreTarget({ path: out2, paths: ['*.txt'] }), entries, fromSource);
    expect(await listAll(out2)).toEqual(['a.txt']);
    const out3 = path.join(dir, 'out3');
    await restoreWith(
      createFilesystemRestoreTarget({ path: out3, paths: ['**/*.txt'] }),
      entries,
      fromSource,
    );
    expect(await listAll(out3)).toEqual(['a.txt', 'ünï cödé', 'ünï cödé/файл.txt']);
  });

  it('cancels cleanly: an aborted restore leaves no temp file', async () => {
    const controller = new AbortController();
    const stalled = (entry: ManifestEntry) => {
      if (entry.name !== 'docs/deep/er/file.bin') return fromSource(entry);
      const stream = new Readable({ read() {} });
      stream.push(Buffer.alloc(1000));
      setTimeout(() => controller.abort(), 50);
      return stream;
    };
    const target = createFilesystemRestoreTarget({ path: out });
    const error = await restoreWith(target, entries, stalled, controller.signal).catch((e) => e);
    expect(isBackupError(error, 'aborted')).toBe(true);
    expect(
      (await listAll(out)).filter((name) => name.includes('.bk-restore-') || name.endsWith('file.bin')),
    ).toEqual([]);
  });
});
