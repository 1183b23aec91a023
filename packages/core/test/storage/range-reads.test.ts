import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type ByteRange,
  type DriverCallOptions,
  httpRangeHeader,
  isBackupError,
  LocalStorageDriver,
  lastByteOf,
  type ObjectInfo,
  readEmptyRange,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

describe('lastByteOf and httpRangeHeader', () => {
  it('count the last byte inclusively, as HTTP does', () => {
    expect(lastByteOf({ offset: 0, length: 1 })).toBe(0);
    expect(lastByteOf({ offset: 10, length: 10 })).toBe(19);
    expect(lastByteOf({ offset: 10 })).toBeUndefined();
    expect(httpRangeHeader({ offset: 0, length: 4096 })).toBe('bytes=0-4095');
    expect(httpRangeHeader({ offset: 100_002, length: 1 })).toBe('bytes=100002-100002');
    expect(httpRangeHeader({ offset: 7 })).toBe('bytes=7-');
  });
});

/** A driver whose only object is `present` (`size` bytes); records the options `head` got. */
function fakeDriver(size: number) {
  const heads: DriverCallOptions[] = [];
  return {
    heads,
    describe: (key: string) => `fake://bucket/${key}`,
    head: async (key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> => {
      heads.push(options);
      if (options.signal?.aborted) throw new Error('aborted head');
      return key === 'present' ? { key, size, lastModified: new Date(0) } : null;
    },
  };
}

describe('readEmptyRange', () => {
  it('reads nothing for a zero-byte range or one starting at or after the end of an existing object', async () => {
    const driver = fakeDriver(10);
    const ranges: ByteRange[] = [
      { offset: 0, length: 0 },
      { offset: 4, length: 0 },
      { offset: 25, length: 0 },
      { offset: 10 },
      { offset: 10, length: 5 },
      { offset: 11 },
    ];
    for (const range of ranges) {
      expect(
        (await readAll(await readEmptyRange(driver, 'present', { range }))).length,
        JSON.stringify(range),
      ).toBe(0);
    }
  });

  it('throws not_found, located by describe, when the object does not exist', async () => {
    const error = await readEmptyRange(fakeDriver(10), 'gone', { range: { offset: 0, length: 0 } }).catch(
      (e: unknown) => e,
    );
    expect(isBackupError(error, 'not_found')).toBe(true);
    expect((error as Error).message).toBe('No object at fake://bucket/gone');
    expect(isBackupError(error) && error.details).toEqual({ key: 'gone', operation: 'get' });
  });

  it('throws invalid_request when the store refused a range that starts inside the object', async () => {
    const range = { offset: 3, length: 2 };
    const error = await readEmptyRange(fakeDriver(10), 'present', { range }).catch((e: unknown) => e);
    expect(isBackupError(error, 'invalid_request')).toBe(true);
    expect(isBackupError(error) && error.details).toEqual({ key: 'present', range });
  });

  it("passes the call's signal to head and lets head's failure through", async () => {
    const driver = fakeDriver(10);
    const controller = new AbortController();
    await readEmptyRange(driver, 'present', { range: { offset: 10 }, signal: controller.signal });
    expect(driver.heads[0]?.signal).toBe(controller.signal);
    controller.abort();
    await expect(readEmptyRange(driver, 'present', { signal: controller.signal })).rejects.toThrow(
      'aborted head',
    );
  });

  describe('agrees with the local driver', () => {
    let root = '';
    let local: LocalStorageDriver;
    beforeAll(async () => {
      root = await mkdtemp(path.join(tmpdir(), 'bk-empty-range-'));
      local = new LocalStorageDriver({ root, fsync: false });
      await local.put('object', Buffer.from('0123456789'));
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    it('on ranges whose bytes the stores would not send', async () => {
      const ranges: ByteRange[] = [
        { offset: 3, length: 0 },
        { offset: 10 },
        { offset: 12, length: 4 },
        { offset: 40, length: 0 },
      ];
      for (const range of ranges) {
        const fromLocal = await readAll(await local.get('object', { range }));
        const fromHelper = await readAll(await readEmptyRange(local, 'object', { range }));
        expect(fromHelper.equals(fromLocal), JSON.stringify(range)).toBe(true);
        expect(fromHelper.length).toBe(0);
      }
    });

    it('on a missing object', async () => {
      const range = { offset: 0, length: 0 };
      await expect(local.get('missing', { range })).rejects.toSatisfy((e) => isBackupError(e, 'not_found'));
      await expect(readEmptyRange(local, 'missing', { range })).rejects.toSatisfy((e) =>
        isBackupError(e, 'not_found'),
      );
    });
  });
});
