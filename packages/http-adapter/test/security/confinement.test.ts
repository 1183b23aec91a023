import { lstat, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupNow, directoryJob, type Json, type SecureExample, startSecureExample } from './support.js';

/** Every regular file's content under `root`, symlinks not followed. */
async function contents(root: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

describe('a non-admin token cannot make the server read or write outside the host roots', () => {
  let example: SecureExample;

  beforeAll(async () => {
    example = await startSecureExample();
  });
  afterAll(async () => {
    await example?.stop();
  });

  it('directory sources outside the source roots are refused and nothing is stored', async () => {
    const { sourceRoot } = example;
    await symlink('/etc', path.join(sourceRoot, 'etc-link'));
    await symlink(example.dataDir, path.join(sourceRoot, 'data-link'));
    const attempts = [
      '/proc/self',
      '/proc/self/environ',
      '/etc',
      example.dataDir,
      example.storageDir,
      example.outsideDir,
      path.join(sourceRoot, 'etc-link'),
      path.join(sourceRoot, 'data-link'),
      path.join(sourceRoot, '..', 'outside'),
      'relative/path',
    ];
    for (const attempt of attempts) {
      const reply = await example.as('alice', 'POST', '/jobs', directoryJob(attempt));
      expect(reply.status, `${attempt}: ${reply.text}`).toBe(403);
      expect((reply.body as Json).error).toBe('forbidden');
    }
    const listed = (await example.as('admin', 'GET', '/jobs')).body as Json;
    expect(listed.total).toBe(0);
  });

  it('a job whose directory is later swapped for a symlink out of the root reads nothing outside', async () => {
    const tree = path.join(example.sourceRoot, 'swapped');
    await mkdir(tree);
    await writeFile(path.join(tree, 'ok.txt'), 'inside');
    const created = await example.as('alice', 'POST', '/jobs', directoryJob(tree));
    expect(created.status, created.text).toBe(201);
    await rename(tree, `${tree}-old`);
    await symlink(example.outsideDir, tree);
    const jobId = (created.body as Json).job_id as string;
    expect((await example.as('alice', 'POST', `/jobs/${jobId}/execute`, {})).status).toBe(202);
    const status = await example.settle('alice', `/jobs/${jobId}/status`);
    expect(status.status).toBe('failed');
    expect((status.error as Json).code).toBe('forbidden');
  });

  it('symlinks inside a source root are kept as links, never followed, and not recreated pointing out', async () => {
    const tree = path.join(example.sourceRoot, 'tree');
    await mkdir(tree);
    await writeFile(path.join(tree, 'plain.txt'), 'plain');
    await symlink(path.join(example.outsideDir, 'secret.txt'), path.join(tree, 'absolute-link'));
    await symlink('../../outside/secret.txt', path.join(tree, 'relative-link'));
    await symlink('plain.txt', path.join(tree, 'inner-link'));
    const created = await example.as('alice', 'POST', '/jobs', directoryJob(tree));
    expect(created.status, created.text).toBe(201);
    const backupId = await backupNow(example, 'alice', (created.body as Json).job_id as string);

    const target = path.join(example.restoreRoot, 'tree');
    const restore = await example.as('alice', 'POST', '/restores', {
      backup_id: backupId,
      // Asking for external links is not enough: the host did not allow them.
      destination: { type: 'filesystem', path: target, allow_external_symlinks: true },
    });
    expect(restore.status, restore.text).toBe(202);
    const done = await example.settle('alice', `/restores/${(restore.body as Json).restore_id}/status`);
    expect(done.status, JSON.stringify(done)).toBe('completed');
    expect(JSON.stringify((done.result as Json).warnings)).toContain('absolute-link');
    expect(JSON.stringify((done.result as Json).warnings)).toContain('relative-link');
    expect(await readFile(path.join(target, 'plain.txt'), 'utf8')).toBe('plain');
    expect((await lstat(path.join(target, 'inner-link'))).isSymbolicLink()).toBe(true);
    await expect(lstat(path.join(target, 'absolute-link'))).rejects.toThrow(/ENOENT/);
    await expect(lstat(path.join(target, 'relative-link'))).rejects.toThrow(/ENOENT/);
    expect(await contents(target)).not.toContain(example.outsideSentinel);
  });

  it('restore targets outside the restore roots are refused', async () => {
    const tree = path.join(example.sourceRoot, 'small');
    await mkdir(tree);
    await writeFile(path.join(tree, 'a.txt'), 'a');
    const created = await example.as('alice', 'POST', '/jobs', directoryJob(tree));
    const backupId = await backupNow(example, 'alice', (created.body as Json).job_id as string);
    await symlink(example.outsideDir, path.join(example.restoreRoot, 'out-link'));
    const attempts = [
      example.outsideDir,
      path.join(example.outsideDir, 'new'),
      example.dataDir,
      path.join(example.dataDir, 'x'),
      example.storageDir,
      path.dirname(example.restoreRoot),
      '/proc/self',
      '/tmp',
      path.join(example.restoreRoot, 'out-link'),
      path.join(example.restoreRoot, 'out-link', 'deeper'),
      path.join(example.restoreRoot, '..', 'outside'),
    ];
    for (const attempt of attempts) {
      const reply = await example.as('alice', 'POST', '/restores', {
        backup_id: backupId,
        destination: { type: 'filesystem', path: attempt, overwrite_existing: true },
      });
      expect(reply.status, `${attempt}: ${reply.text}`).toBe(403);
      expect((reply.body as Json).error).toBe('forbidden');
    }
    expect(await readdir(example.outsideDir)).toEqual(['secret.txt']);
  });

  it('a link planted by an earlier restore is not written through by a later one', async () => {
    // First backup: `evil` is a link to a directory outside; second: `evil/pwned.txt` a file.
    const first = path.join(example.sourceRoot, 'first');
    await mkdir(first);
    await symlink(example.outsideDir, path.join(first, 'evil'));
    const second = path.join(example.sourceRoot, 'second');
    await mkdir(path.join(second, 'evil'), { recursive: true });
    await writeFile(path.join(second, 'evil', 'pwned.txt'), 'pwned');
    const target = path.join(example.restoreRoot, 'planted');
    for (const tree of [first, second]) {
      const job = await example.as('alice', 'POST', '/jobs', directoryJob(tree));
      const backupId = await backupNow(example, 'alice', (job.body as Json).job_id as string);
      const restore = await example.as('alice', 'POST', '/restores', {
        backup_id: backupId,
        destination: { type: 'filesystem', path: target, overwrite_existing: true },
      });
      expect(restore.status, restore.text).toBe(202);
      await example.settle('alice', `/restores/${(restore.body as Json).restore_id}/status`);
    }
    expect(await readdir(example.outsideDir)).toEqual(['secret.txt']);
    expect((await lstat(path.join(target, 'evil'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(target, 'evil', 'pwned.txt'), 'utf8')).toBe('pwned');
  });

  it('a symlink planted in the restore root by someone else is never written through', async () => {
    const tree = path.join(example.sourceRoot, 'through');
    await mkdir(path.join(tree, 'sub'), { recursive: true });
    await writeFile(path.join(tree, 'sub', 'f.txt'), 'f');
    const job = await example.as('alice', 'POST', '/jobs', directoryJob(tree));
    const backupId = await backupNow(example, 'alice', (job.body as Json).job_id as string);
    const target = path.join(example.restoreRoot, 'through');
    await mkdir(target);
    await symlink(example.outsideDir, path.join(target, 'sub'));
    const restore = await example.as('alice', 'POST', '/restores', {
      backup_id: backupId,
      destination: { type: 'filesystem', path: target, overwrite_existing: true },
    });
    expect(restore.status, restore.text).toBe(202);
    await example.settle('alice', `/restores/${(restore.body as Json).restore_id}/status`);
    expect(await readdir(example.outsideDir)).toEqual(['secret.txt']);
  });

  it('no reply or log line carries the outside sentinel', () => {
    expect([...example.replies, example.output()].join('\n')).not.toContain(example.outsideSentinel);
  });
});
