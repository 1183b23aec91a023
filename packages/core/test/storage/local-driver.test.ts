import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BackupError, isBackupError, LocalStorageDriver } from '@backupkit/core';
import { storageDriverConformance } from '@backupkit/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

let root = '';
storageDriverConformance({
  name: 'LocalStorageDriver',
  createDriver: async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bk-local-'));
    return new LocalStorageDriver({ root });
  },
  cleanup: () => rm(root, { recursive: true, force: true }),
});

// Without fsync the driver must keep every other guarantee (atomic puts included).
let scratchRoot = '';
storageDriverConformance({
  name: 'LocalStorageDriver (fsync: false)',
  createDriver: async () => {
    scratchRoot = await mkdtemp(path.join(tmpdir(), 'bk-local-nofsync-'));
    return new LocalStorageDriver({ root: scratchRoot, fsync: false });
  },
  cleanup: () => rm(scratchRoot, { recursive: true, force: true }),
  large: { bytes: 32 * 1024 * 1024 },
});

describe('LocalStorageDriver (local-only)', () => {
  let dir = '';
  let driver: LocalStorageDriver;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bk-local-only-'));
    driver = new LocalStorageDriver({ root: path.join(dir, 'root') });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const badKeys = [
    '',
    '../escape',
    'a/../../escape',
    'a/..',
    '/etc/passwd',
    'a\\..\\b',
    'a\0b',
    'a//b',
    './a',
    'a/./b',
  ];

  it.each(badKeys)('rejects the key %j in every operation', async (key) => {
    const invalid = (e: unknown) => isBackupError(e, 'invalid_request');
    await expect(driver.put(key, Buffer.from('x'))).rejects.toSatisfy(invalid);
    await expect(driver.get(key)).rejects.toSatisfy(invalid);
    await expect(driver.head(key)).rejects.toSatisfy(invalid);
    await expect(driver.delete(key)).rejects.toSatisfy(invalid);
    expect(() => driver.describe(key)).toThrow(BackupError);
    expect(await readdir(dir)).toEqual([]); // nothing was created, inside or outside the root
  });

  it('rejects listing prefixes that climb out of the root', async () => {
    for (const prefix of ['../', '../../etc', '/etc', 'a/../../', 'a\\b']) {
      const iterate = async () => {
        for await (const _ of driver.list(prefix)) expect.unreachable();
      };
      await expect(iterate()).rejects.toSatisfy((e) => isBackupError(e, 'invalid_request'));
    }
  });

  it('keeps every key inside the root and maps it to the documented path', async () => {
    await driver.put('chunks/ab/abcdef', Buffer.from('data'));
    expect(driver.describe('chunks/ab/abcdef')).toBe(path.join(dir, 'root', 'chunks', 'ab', 'abcdef'));
    expect(await readFile(path.join(dir, 'root', 'chunks', 'ab', 'abcdef'), 'utf8')).toBe('data');
    expect(await readdir(dir)).toEqual(['root']);
  });

  it('leaves no partial object when the writing process is killed mid-put', async () => {
    const key = 'snapshots/killed.json';
    await driver.put(key, Buffer.from('previous version'));
    const fixture = fileURLToPath(new URL('./fixtures/killed-put.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, driver.root, key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    // The temp file holds the 4 MiB written so far: the put really was mid-way.
    const inFlight = (await readdir(path.join(driver.root, 'snapshots'))).filter((n) => n !== 'killed.json');
    expect(inFlight).toHaveLength(1);
    expect((await stat(path.join(driver.root, 'snapshots', inFlight[0] as string))).size).toBe(
      4 * 1024 * 1024,
    );
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect((await readAll(await driver.get(key))).toString()).toBe('previous version');
    const listed: string[] = [];
    for await (const info of driver.list('')) listed.push(info.key);
    expect(listed).toEqual([key]); // the orphaned temp file is never listed
    await driver.put(key, Buffer.from('next version'));
    expect((await readAll(await driver.get(key))).toString()).toBe('next version');
    // The orphan is swept once it is old enough, and only then.
    expect(await driver.removeStaleTempFiles()).toBe(0);
    expect(await driver.removeStaleTempFiles({ olderThanMs: 0 })).toBe(1);
    expect(await readdir(path.join(driver.root, 'snapshots'))).toEqual(['killed.json']);
  });

  it('cleans up after an aborted put and removes emptied directories on delete', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1024));
    const put = driver.put('a/b/c/object', body, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(put).rejects.toSatisfy((e) => isBackupError(e, 'aborted'));
    expect(await readdir(path.join(driver.root, 'a', 'b', 'c'))).toEqual([]);
    await driver.put('a/b/c/object', Buffer.from('x'));
    await driver.put('a/keep', Buffer.from('y'));
    await driver.delete('a/b/c/object');
    expect(await readdir(path.join(driver.root, 'a'))).toEqual(['keep']);
  });

  it('rejects a body whose length differs from contentLength and keeps nothing', async () => {
    await expect(driver.put('k', Buffer.from('abc'), { contentLength: 4 })).rejects.toSatisfy((e) =>
      isBackupError(e, 'invalid_request'),
    );
    expect(await driver.head('k')).toBeNull();
    expect(await readdir(driver.root)).toEqual([]);
  });

  it('rejects negative or fractional byte ranges', async () => {
    await driver.put('k', Buffer.from('abc'));
    for (const range of [{ offset: -1 }, { offset: 0.5 }, { offset: 0, length: -2 }]) {
      await expect(driver.get('k', { range })).rejects.toSatisfy((e) => isBackupError(e, 'invalid_request'));
    }
  });
});
