import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createFilesystemSource,
  filesystemSourceKind,
  isBackupError,
  type SourceEntry,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, context, manifestOf, toManifestEntries } from './tree-helpers.js';

let dir = '';
let src = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bk-fs-source-'));
  src = path.join(dir, 'src');
  const files: Record<string, string> = {
    'b.txt': 'bee',
    'a.txt': 'ay',
    'docs/readme.md': '# readme',
    'docs/guide/intro.md': 'intro',
    'docs/guide/notes.txt': 'notes',
    'node_modules/pkg/index.js': 'module.exports = 1',
    'logs/app.log': 'log line',
    'logs/keep.txt': 'keep',
    '.hidden/secret.txt': 'dot',
    'a-b/c.txt': 'dash',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, name)), { recursive: true });
    await writeFile(path.join(src, name), content);
  }
  await mkdir(path.join(src, 'empty'));
  await symlink('a.txt', path.join(src, 'link-to-a'));
  await symlink('/nonexistent/target', path.join(src, 'dangling'));
  await symlink(path.join(src, 'docs'), path.join(src, 'dirlink'));
  execFileSync('mkfifo', [path.join(src, 'pipe')]);
  await chmod(path.join(src, 'b.txt'), 0o640);
  await utimes(path.join(src, 'b.txt'), 1_600_000_000, 1_600_000_000.123);
});

afterEach(() => rm(dir, { recursive: true, force: true }));

const names = (entries: SourceEntry[]) => entries.map((entry) => entry.name);

describe('filesystem source: walk', () => {
  it('yields directories, files and symlinks in sorted pre-order, skipping special files', async () => {
    const plan = await createFilesystemSource({ path: src }).open(context());
    const entries = await collect(plan.entries);
    expect(names(entries)).toEqual([
      '.hidden',
      '.hidden/secret.txt',
      'a-b',
      'a-b/c.txt',
      'a.txt',
      'b.txt',
      'dangling',
      'dirlink',
      'docs',
      'docs/guide',
      'docs/guide/intro.md',
      'docs/guide/notes.txt',
      'docs/readme.md',
      'empty',
      'link-to-a',
      'logs',
      'logs/app.log',
      'logs/keep.txt',
      'node_modules',
      'node_modules/pkg',
      'node_modules/pkg/index.js',
    ]);
    const kinds = Object.fromEntries(entries.map((entry) => [entry.name, entry.kind]));
    expect(kinds).toMatchObject({
      empty: 'directory',
      'a.txt': 'file',
      dirlink: 'symlink',
      dangling: 'symlink',
    });
    expect(plan.parallelism).toBeGreaterThan(1);
    expect(plan.estimatedBytes).toBe(2 + 3 + 8 + 5 + 5 + 18 + 8 + 4 + 3 + 4);
    await plan.close();
  });

  it('records mode, mtime and size; opens file content; never follows symlinks', async () => {
    const entries = await collect((await createFilesystemSource({ path: src }).open(context())).entries);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    const b = byName.get('b.txt')!;
    const exact = await lstat(path.join(src, 'b.txt'), { bigint: true });
    expect(b.metadata).toEqual({
      mode: 0o640,
      mtime: Number(exact.mtimeNs) / 1e6,
      mtime_ns: String(exact.mtimeNs),
      size: 3,
    });
    expect(Math.abs((b.metadata.mtime as number) - 1_600_000_000_123)).toBeLessThan(0.01);
    expect(b.estimatedBytes).toBe(3);
    const chunks: Buffer[] = [];
    for await (const piece of await b.open!(new AbortController().signal)) chunks.push(piece as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('bee');
    expect(byName.get('link-to-a')?.metadata.target).toBe('a.txt');
    expect(byName.get('link-to-a')?.open).toBeUndefined();
    expect(byName.get('dangling')?.metadata.target).toBe('/nonexistent/target');
    expect(byName.get('dirlink')?.metadata.target).toBe(path.join(src, 'docs'));
    expect(names(entries).some((name) => name.startsWith('dirlink/'))).toBe(false);
    expect(byName.get('empty')?.metadata).toMatchObject({
      mode: expect.any(Number),
      mtime: expect.any(Number),
    });
    expect(byName.get('empty')?.open).toBeUndefined();
  });

  it('describes itself without anything but its configuration', () => {
    const source = createFilesystemSource({ path: src, include: ['*.txt'], exclude: ['logs'] });
    expect(source.type).toBe('filesystem');
    expect(source.describe()).toEqual({
      type: 'filesystem',
      path: src,
      include: ['*.txt'],
      exclude: ['logs'],
    });
  });

  it('fails clearly for a missing or non-directory path', async () => {
    await expect(
      createFilesystemSource({ path: path.join(dir, 'missing') }).open(context()),
    ).rejects.toSatisfy((e) => isBackupError(e, 'source_unreachable'));
    await expect(createFilesystemSource({ path: path.join(src, 'a.txt') }).open(context())).rejects.toSatisfy(
      (e) => isBackupError(e, 'source_unreachable'),
    );
    expect(() => createFilesystemSource({ path: '' })).toThrow(
      expect.objectContaining({ code: 'invalid_backup_config' }),
    );
  });
});

describe('filesystem source: globs', () => {
  const run = async (include?: string[], exclude?: string[], only?: string[]) =>
    names(
      await collect(
        (await createFilesystemSource({ path: src, include, exclude }).open(context({ only }))).entries,
      ),
    );

  it('include by basename keeps only matches and the directories holding them', async () => {
    expect(await run(['*.txt'])).toEqual([
      '.hidden',
      '.hidden/secret.txt',
      'a-b',
      'a-b/c.txt',
      'a.txt',
      'b.txt',
      'docs',
      'docs/guide',
      'docs/guide/notes.txt',
      'logs',
      'logs/keep.txt',
    ]);
  });

  it('a matching directory brings its subtree; path patterns match whole relative paths', async () => {
    expect(await run(['docs/guide'])).toEqual([
      'docs',
      'docs/guide',
      'docs/guide/intro.md',
      'docs/guide/notes.txt',
    ]);
    expect(await run(['docs/*.md'])).toEqual(['docs', 'docs/readme.md']);
    expect(await run(['empty'])).toEqual(['empty']);
  });

  it('exclude prunes subtrees and wins over include', async () => {
    const all = await run(undefined, ['node_modules', '*.log', '.hidden']);
    expect(
      all.filter((n) => n.startsWith('node_modules') || n.endsWith('.log') || n.startsWith('.hidden')),
    ).toEqual([]);
    expect(all).toContain('logs/keep.txt');
    expect(await run(['docs/**'], ['docs/guide/*.txt'])).toEqual([
      'docs',
      'docs/guide',
      'docs/guide/intro.md',
      'docs/readme.md',
    ]);
    expect(await run(['*.txt'], ['*.txt'])).toEqual([]);
  });

  it('a run restricted with `only` yields those entries and their directories', async () => {
    expect(await run(undefined, undefined, ['docs/guide/intro.md', 'b.txt'])).toEqual([
      'b.txt',
      'docs',
      'docs/guide',
      'docs/guide/intro.md',
    ]);
  });
});

describe('filesystem source: incremental', () => {
  it('marks files with unchanged size and mtime as unchangedSince the parent, unless full', async () => {
    const source = createFilesystemSource({ path: src });
    const first = await collect((await source.open(context())).entries);
    expect(first.every((entry) => entry.unchangedSince === undefined)).toBe(true);
    const parent = manifestOf(await toManifestEntries(first));

    await writeFile(path.join(src, 'a.txt'), 'AY'); // same size, new mtime
    await utimes(path.join(src, 'a.txt'), 1_500_000_000, 1_500_000_000);
    await writeFile(path.join(src, 'docs/readme.md'), '# readme, longer'); // new size
    await utimes(path.join(src, 'docs/readme.md'), 1_600_000_000, 1_600_000_000);
    await writeFile(path.join(src, 'new.txt'), 'new');

    const second = await collect((await source.open(context({ parent }))).entries);
    const unchanged = second.filter((entry) => entry.unchangedSince).map((entry) => entry.name);
    expect(unchanged).toEqual([
      '.hidden/secret.txt',
      'a-b/c.txt',
      'b.txt',
      'docs/guide/intro.md',
      'docs/guide/notes.txt',
      'logs/app.log',
      'logs/keep.txt',
      'node_modules/pkg/index.js',
    ]);
    const b = second.find((entry) => entry.name === 'b.txt')!;
    expect(b.unchangedSince).toBe(parent.entries.find((entry) => entry.name === 'b.txt'));
    expect(b.unchangedSince?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const full = await collect((await source.open(context({ parent, full: true }))).entries);
    expect(full.filter((entry) => entry.unchangedSince)).toEqual([]);
  });
});

describe('filesystem source kind', () => {
  it('validates configs and builds sources and restore targets', async () => {
    expect(filesystemSourceKind.types).toContain('filesystem');
    expect(filesystemSourceKind.validateSource({ type: 'filesystem', path: src })).toEqual([]);
    expect(filesystemSourceKind.validateSource({ type: 'filesystem', include: 'x' })).toHaveLength(2);
    const source = filesystemSourceKind.createSource({
      type: 'filesystem',
      path: src,
      exclude: ['node_modules'],
    });
    expect(source.describe()).toMatchObject({ path: src, exclude: ['node_modules'] });
    const target = filesystemSourceKind.createRestoreTarget(
      { type: 'filesystem', path: path.join(dir, 'out') },
      {},
    );
    expect(target.parallelism).toBeGreaterThan(0);
    expect(await readFile(path.join(src, 'a.txt'), 'utf8')).toBe('ay');
  });
});
