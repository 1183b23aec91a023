import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isBackupError } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALWAYS_DENIED_PATHS,
  confinePath,
  realDeniedPaths,
  resolveRealPath,
} from '../../src/security/path-confinement.js';

let dir = '';
let data = '';
const read = { access: 'read', field: 'source.path' } as const;
const write = { access: 'write', field: 'destination.path' } as const;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'bk-confine-')));
  data = path.join(dir, 'data');
  await mkdir(path.join(data, 'app', '.backupkit'), { recursive: true });
  await mkdir(path.join(dir, 'data2', 'x'), { recursive: true });
  await mkdir(path.join(dir, 'outside'), { recursive: true });
  await writeFile(path.join(dir, 'outside', 'secret'), 'top secret');
});

afterEach(() => rm(dir, { recursive: true, force: true }));

async function refusal(
  promise: Promise<unknown>,
): Promise<{ issue: unknown; field: unknown; message: string }> {
  const error = await promise.then(
    () => expect.unreachable('expected a refusal'),
    (e: unknown) => e,
  );
  expect(isBackupError(error, 'forbidden'), String(error)).toBe(true);
  const { details, message } = error as { details: Record<string, unknown>; message: string };
  return { issue: details.issue, field: details.field, message };
}

describe('confinePath', () => {
  it('returns the real path of a root or anything beneath it', async () => {
    expect(await confinePath(data, [data], [], read)).toBe(data);
    expect(await confinePath(path.join(data, 'app'), [data], [], read)).toBe(path.join(data, 'app'));
    expect(await confinePath(`${data}/app/../app/`, [data], [], read)).toBe(path.join(data, 'app'));
    // A root given through a symlink is resolved too.
    await symlink(data, path.join(dir, 'data-link'));
    expect(await confinePath(path.join(data, 'app'), [path.join(dir, 'data-link')], [], read)).toBe(
      path.join(data, 'app'),
    );
  });

  it('compares whole components, not string prefixes', async () => {
    const { issue, field } = await refusal(confinePath(path.join(dir, 'data2', 'x'), [data], [], read));
    expect(issue).toBe('outside_roots');
    expect(field).toBe('source.path');
    await refusal(confinePath(dir, [data], [], read));
  });

  it('follows symlinked components to where they really lead', async () => {
    await symlink(path.join(dir, 'outside'), path.join(data, 'escape'));
    for (const requested of [path.join(data, 'escape'), path.join(data, 'escape', 'secret')]) {
      const { issue, message } = await refusal(confinePath(requested, [data], [], read));
      expect(issue).toBe('outside_roots');
      expect(message).not.toContain('top secret');
      expect(message).not.toContain(path.join(dir, 'outside')); // where the link leads is not revealed
    }
    // A write below a symlinked directory that leads out is refused the same way.
    const { issue } = await refusal(confinePath(path.join(data, 'escape', 'new', 'dir'), [data], [], write));
    expect(issue).toBe('outside_roots');
    // A symlink inside that stays inside is fine.
    await symlink(path.join(data, 'app'), path.join(data, 'inner'));
    expect(await confinePath(path.join(data, 'inner'), [data], [], read)).toBe(path.join(data, 'app'));
  });

  it('resolves a write path that does not exist yet through its nearest existing ancestor', async () => {
    const target = path.join(data, 'restore', 'deep', 'er');
    expect(await confinePath(target, [data], [], write)).toBe(target);
    await symlink(data, path.join(dir, 'via'));
    expect(await confinePath(path.join(dir, 'via', 'new'), [data], [], write)).toBe(path.join(data, 'new'));
    // `..` below a missing component cannot be resolved honestly.
    expect((await refusal(confinePath(`${data}/missing/../../outside`, [data], [], write))).issue).toBe(
      'unresolvable',
    );
    // A dangling symlink points somewhere unknown.
    await symlink('/nonexistent/elsewhere', path.join(data, 'dangling'));
    expect((await refusal(confinePath(path.join(data, 'dangling'), [data], [], write))).issue).toBe(
      'unresolvable',
    );
    expect((await refusal(confinePath(path.join(data, 'dangling', 'x'), [data], [], write))).issue).toBe(
      'unresolvable',
    );
  });

  it('refuses denied paths, and for writes their ancestors', async () => {
    const own = path.join(data, 'app', '.backupkit');
    const denied = await realDeniedPaths([own]);
    expect((await refusal(confinePath(own, [data], denied, read))).issue).toBe('denied');
    expect((await refusal(confinePath(path.join(own, 'sub'), [data], denied, write))).issue).toBe('denied');
    // Reading an ancestor is fine (the walk skips the denied directory); writing into it is not.
    expect(await confinePath(data, [data], denied, read)).toBe(data);
    const { issue, message } = await refusal(confinePath(data, [data], denied, write));
    expect(issue).toBe('contains_denied');
    expect(message).toContain('destination.path');
    expect(await confinePath(path.join(dir, 'data2'), [dir], denied, write)).toBe(path.join(dir, 'data2'));
    // Denied through a symlink: the real path is denied.
    await symlink(own, path.join(dir, 'own-link'));
    const viaLink = await realDeniedPaths([path.join(dir, 'own-link')]);
    expect(viaLink).toContain(own);
    expect((await refusal(confinePath(own, [data], viaLink, read))).issue).toBe('denied');
    // Kernel interfaces are in the always-denied list.
    expect(ALWAYS_DENIED_PATHS).toEqual(['/proc', '/sys', '/dev']);
    expect((await refusal(confinePath('/proc/self', ['/'], ALWAYS_DENIED_PATHS, read))).issue).toBe('denied');
  });

  it('refuses everything when the host configured no roots; ignores roots that do not exist', async () => {
    const { issue, message } = await refusal(confinePath(data, [], [], read));
    expect(issue).toBe('no_roots');
    expect(message).toMatch(/disabled: the host has configured no roots/);
    expect((await refusal(confinePath(data, [], [], write))).message).toMatch(
      /Directory restores are disabled/,
    );
    expect((await refusal(confinePath(data, [path.join(dir, 'missing')], [], read))).issue).toBe(
      'outside_roots',
    );
  });

  it('refuses relative paths and NUL bytes', async () => {
    expect((await refusal(confinePath('data', [data], [], read))).issue).toBe('invalid');
    expect((await refusal(confinePath('./data', [data], [], write))).issue).toBe('invalid');
    expect((await refusal(confinePath(`${data}\0/x`, [data], [], read))).issue).toBe('invalid');
  });
});

describe('realDeniedPaths and resolveRealPath', () => {
  it('keeps paths that do not exist as resolved absolute paths', async () => {
    const missing = path.join(dir, 'not-yet');
    expect(await realDeniedPaths([missing, `${missing}/`])).toEqual([missing]);
    expect(await resolveRealPath(path.join(data, 'a', 'b'))).toBe(path.join(data, 'a', 'b'));
    await writeFile(path.join(dir, 'file'), 'x');
    expect(await resolveRealPath(path.join(dir, 'file', 'below'))).toBeNull();
  });
});
