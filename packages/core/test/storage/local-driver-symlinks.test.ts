import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isBackupError, LocalStorageDriver, type ObjectInfo } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces).toString();
}

async function keys(driver: LocalStorageDriver, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const info of driver.list(prefix) as AsyncIterable<ObjectInfo>) out.push(info.key);
  return out.sort();
}

/** Refused (any BackupError but a success), or not found: never the outside content. */
const refusedOrMissing = (error: unknown) =>
  isBackupError(error, 'access_denied') || isBackupError(error, 'not_found');

let dir = '';
let root = '';
let outside = '';
let driver: LocalStorageDriver;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'bk-local-links-')));
  root = path.join(dir, 'root');
  outside = path.join(dir, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'outside secret');
  driver = new LocalStorageDriver({ root, fsync: false });
  await driver.put('chunks/ab/abcdef', Buffer.from('chunk'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('LocalStorageDriver: symlinks planted in the root', () => {
  it.each([
    ['a directory outside', () => outside, 'secret.txt'],
    ['/etc', () => '/etc', 'passwd'],
  ])('a symlink to %s is never read, listed, written or deleted through', async (_label, target, name) => {
    await symlink(target(), path.join(root, 'planted'));
    const key = `planted/${name}`;
    expect(refusedOrMissing(await driver.get(key).catch((e: unknown) => e))).toBe(true);
    expect(await driver.head(key).catch((e: unknown) => (refusedOrMissing(e) ? null : e))).toBeNull();
    expect(await keys(driver)).toEqual(['chunks/ab/abcdef']);
    const listed = await keys(driver, 'planted/').catch((e: unknown) => (refusedOrMissing(e) ? [] : e));
    expect(listed).toEqual([]);
    expect(
      isBackupError(
        await driver.put('planted/new', Buffer.from('x')).catch((e: unknown) => e),
        'access_denied',
      ),
    ).toBe(true);
    expect(
      await driver.delete(key).catch((e: unknown) => (refusedOrMissing(e) ? undefined : e)),
    ).toBeUndefined();
    if (target() === outside) {
      expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    }
  });

  it('a symlink deeper in the tree (chunks/cd → outside) is refused for puts and reads', async () => {
    await symlink(outside, path.join(root, 'chunks', 'cd'));
    const put = await driver.put('chunks/cd/cdef', Buffer.from('x')).catch((e: unknown) => e);
    expect(isBackupError(put, 'access_denied')).toBe(true);
    expect(refusedOrMissing(await driver.get('chunks/cd/secret.txt').catch((e: unknown) => e))).toBe(true);
    expect(await keys(driver, 'chunks/')).toEqual(['chunks/ab/abcdef']);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('a symlink as an object is not one: not read, not listed; a delete removes only the link', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'chunks', 'ab', 'linked'));
    expect(isBackupError(await driver.get('chunks/ab/linked').catch((e: unknown) => e), 'not_found')).toBe(
      true,
    );
    expect(await driver.head('chunks/ab/linked')).toBeNull();
    expect(await keys(driver)).toEqual(['chunks/ab/abcdef']);
    await driver.delete('chunks/ab/linked');
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    expect((await readdir(path.join(root, 'chunks', 'ab'))).sort()).toEqual(['abcdef']);
    // A put replaces a planted link instead of writing through it.
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'chunks', 'ab', 'linked'));
    await driver.put('chunks/ab/linked', Buffer.from('mine'));
    expect(await readAll(await driver.get('chunks/ab/linked'))).toBe('mine');
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
  });

  it('a dangling symlink is not created through', async () => {
    await symlink(path.join(dir, 'nowhere'), path.join(root, 'dangling'));
    const put = await driver.put('dangling/x', Buffer.from('x')).catch((e: unknown) => e);
    expect(isBackupError(put, 'access_denied')).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['outside', 'root']);
  });

  it('a directory swapped for a symlink after it was checked is still not written through', async () => {
    await driver.put('chunks/ef/one', Buffer.from('1')); // chunks/ef is now checked and remembered
    await rename(path.join(root, 'chunks', 'ef'), path.join(dir, 'ef-moved'));
    await symlink(outside, path.join(root, 'chunks', 'ef'));
    const put = await driver.put('chunks/ef/two', Buffer.from('2')).catch((e: unknown) => e);
    expect(isBackupError(put, 'access_denied'), String(put)).toBe(true);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(refusedOrMissing(await driver.get('chunks/ef/secret.txt').catch((e: unknown) => e))).toBe(true);
    const deleted = await driver.delete('chunks/ef/secret.txt').catch((e: unknown) => e);
    expect(isBackupError(deleted, 'access_denied')).toBe(true);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('uses the root by its real path: a root reached through a symlink stays where it was', async () => {
    const link = path.join(dir, 'root-link');
    await symlink(root, link);
    const viaLink = new LocalStorageDriver({ root: link, fsync: false });
    expect(await readAll(await viaLink.get('chunks/ab/abcdef'))).toBe('chunk');
    await rm(link);
    await symlink(outside, link); // the configured path now leads elsewhere
    await viaLink.put('chunks/ab/second', Buffer.from('2'));
    expect(await readFile(path.join(root, 'chunks', 'ab', 'second'), 'utf8')).toBe('2');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });
});
