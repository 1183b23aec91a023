import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BackupRunPlan,
  createFilesystemSource,
  filesystemSourceKind,
  isBackupError,
  type SourceEntry,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, context } from './tree-helpers.js';

let dir = '';
let src = '';
let outside = '';

beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'bk-fs-confine-')));
  src = path.join(dir, 'src');
  outside = path.join(dir, 'outside');
  const files: Record<string, string> = {
    'a.txt': 'ay',
    'docs/readme.md': '# readme',
    'docs/guide/intro.md': 'intro',
    'logs/app.log': 'log line',
    'app/.backupkit/catalog.db': 'service data',
    'app/config.json': '{}',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, name)), { recursive: true });
    await writeFile(path.join(src, name), content);
  }
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'outside secret');
});

afterEach(() => rm(dir, { recursive: true, force: true }));

const names = (entries: SourceEntry[]) => entries.map((entry) => entry.name);

async function read(entry: SourceEntry): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of await (entry.open as NonNullable<SourceEntry['open']>)(
    new AbortController().signal,
  ))
    pieces.push(piece as Buffer);
  return Buffer.concat(pieces).toString();
}

describe('filesystem source: denied paths', () => {
  it('never reports nor descends into a denied directory', async () => {
    const denied = [path.join(src, 'app', '.backupkit'), path.join(src, 'logs', 'app.log')];
    const plan = await createFilesystemSource({ path: src, deniedPaths: denied }).open(context());
    const entries = await collect(plan.entries);
    expect(names(entries)).toEqual([
      'a.txt',
      'app',
      'app/config.json',
      'docs',
      'docs/guide',
      'docs/guide/intro.md',
      'docs/readme.md',
      'logs',
    ]);
    expect(plan.estimatedBytes).toBe(2 + 2 + 5 + 8);
  });

  it('matches denied paths by real path, whatever path names them', async () => {
    await symlink(path.join(src, 'app'), path.join(dir, 'app-link'));
    const source = createFilesystemSource({
      path: src,
      deniedPaths: [path.join(dir, 'app-link', '.backupkit')],
    });
    const entries = await collect((await source.open(context())).entries);
    expect(names(entries).filter((name) => name.includes('.backupkit'))).toEqual([]);
    expect(names(entries)).toContain('app/config.json');
  });

  it('refuses a source directory inside a denied path', async () => {
    for (const deniedPaths of [[src], [dir], [path.join(src, 'app')]]) {
      const root = deniedPaths[0] === path.join(src, 'app') ? path.join(src, 'app', '.backupkit') : src;
      const error = await createFilesystemSource({ path: root, deniedPaths })
        .open(context())
        .catch((e: unknown) => e);
      expect(isBackupError(error, 'forbidden'), String(error)).toBe(true);
    }
  });

  it('the kind passes the environment’s denied paths and asks for its directory', async () => {
    expect(filesystemSourceKind.accessRequests?.({ type: 'filesystem', path: src }, 'backup')).toEqual([
      { type: 'directory', field: 'path', path: src, access: 'read' },
    ]);
    expect(filesystemSourceKind.accessRequests?.({ type: 'filesystem', path: '/r' }, 'restore')).toEqual([
      { type: 'directory', field: 'path', path: '/r', access: 'write' },
    ]);
    const source = filesystemSourceKind.createSource(
      { type: 'filesystem', path: src },
      { deniedPaths: [path.join(src, 'docs')], allowExternalSymlinks: false },
    );
    const entries = await collect((await source.open(context())).entries);
    expect(names(entries).some((name) => name.startsWith('docs'))).toBe(false);
    expect(names(entries)).toContain('a.txt');
  });
});

describe('filesystem source: swaps during a backup', () => {
  it('does not follow a directory swapped for a symlink mid-walk', async () => {
    const plan: BackupRunPlan = await createFilesystemSource({ path: src }).open(context());
    const seen: SourceEntry[] = [];
    for await (const entry of plan.entries) {
      seen.push(entry);
      if (entry.name === 'docs') {
        // Between the walk's lstat of `docs` and reading it, `docs` becomes a link leading out.
        await rename(path.join(src, 'docs'), path.join(dir, 'docs-moved'));
        await symlink(outside, path.join(src, 'docs'));
      }
    }
    expect(names(seen)).toContain('docs');
    expect(names(seen).filter((name) => name.startsWith('docs/'))).toEqual([]);
    expect(names(seen)).toContain('logs/app.log'); // the rest of the walk went on
  });

  it('never reads a file swapped for a symlink (to /etc/passwd) after the walk saw it', async () => {
    const entries = await collect((await createFilesystemSource({ path: src }).open(context())).entries);
    const a = entries.find((entry) => entry.name === 'a.txt') as SourceEntry;
    await rm(path.join(src, 'a.txt'));
    await symlink('/etc/passwd', path.join(src, 'a.txt'));
    const error = await read(a).catch((e: unknown) => e);
    expect(isBackupError(error, 'source_unreachable'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/replaced/);
    expect((error as Error).message).not.toContain('root:');
  });

  it('never reads another file moved into place, nor a FIFO (without blocking)', async () => {
    const entries = await collect((await createFilesystemSource({ path: src }).open(context())).entries);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    // Another inode under the same name (created before the old one goes, so never the same).
    await writeFile(path.join(dir, 'new.txt'), 'new');
    await rename(path.join(dir, 'new.txt'), path.join(src, 'a.txt'));
    expect(
      isBackupError(await read(byName.get('a.txt') as SourceEntry).catch((e) => e), 'source_unreachable'),
    ).toBe(true);
    await rm(path.join(src, 'docs', 'readme.md'));
    execFileSync('mkfifo', [path.join(src, 'docs', 'readme.md')]);
    const fifo = await read(byName.get('docs/readme.md') as SourceEntry).catch((e) => e);
    expect(isBackupError(fifo, 'source_unreachable')).toBe(true);
  });

  it('never reads a file through a directory swapped for a symlink, even the same inode', async () => {
    const entries = await collect((await createFilesystemSource({ path: src }).open(context())).entries);
    const intro = entries.find((entry) => entry.name === 'docs/guide/intro.md') as SourceEntry;
    // outside/guide/intro.md is a hard link of the file the walk saw: same device and inode.
    await mkdir(path.join(outside, 'guide'));
    await link(path.join(src, 'docs', 'guide', 'intro.md'), path.join(outside, 'guide', 'intro.md'));
    await rename(path.join(src, 'docs'), path.join(dir, 'docs-moved'));
    await symlink(outside, path.join(src, 'docs'));
    const error = await read(intro).catch((e: unknown) => e);
    expect(isBackupError(error, 'source_unreachable'), String(error)).toBe(true);
    // Put back, the same entry reads normally.
    await rm(path.join(src, 'docs'));
    await rename(path.join(dir, 'docs-moved'), path.join(src, 'docs'));
    expect(await read(intro)).toBe('intro');
  });
});
