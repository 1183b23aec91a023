import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
// The package's main entry, not its sources: the built /testing entry then shares the one copy
// of BackupError (and everything else) with the code under test.
import { isBackupError, type StorageDriver } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deterministicBytes,
  deterministicStream,
  forEachLimit,
  hashStream,
  measureRssGrowth,
  readAll,
  stallingStream,
} from './storage-conformance-data.js';

const MiB = 1024 * 1024;

export interface StorageDriverConformanceOptions {
  /** Names the `describe` block, e.g. `LocalStorageDriver`. */
  name: string;
  /** Called once before the cases; every case works under its own random key prefix. */
  createDriver: () => Promise<StorageDriver>;
  /** Called once after the cases (the suite first deletes what it wrote). */
  cleanup?: (driver: StorageDriver) => Promise<void>;
  /** The streamed large-object case. */
  large?: {
    /** Object size; default 200 MiB. */
    bytes?: number;
    /** Allowed peak RSS growth of the test process; default 150 MiB. */
    maxRssGrowthBytes?: number;
    /** Per-case timeout; default 10 minutes. */
    timeoutMs?: number;
  };
  /** How many keys the paging case lists; default 2,500 (beyond S3's 1,000 and Azure's 5,000 pages would need more). */
  listingKeys?: number;
  /** Strings that must never appear in `describe()` output (the driver's secrets). */
  secrets?: string[];
}

/**
 * Declares the storage-driver conformance cases (vitest `describe`/`it`) for one driver.
 * Call it at the top level of a test file:
 *
 * ```ts
 * import { storageDriverConformance } from '@backupkit/core/testing';
 * storageDriverConformance({ name: 'MyDriver', createDriver: async () => new MyDriver(...) });
 * ```
 *
 * Capability-dependent cases check the capability only when the driver declares it:
 * `rangeReads` — ranged gets must return exactly the range (otherwise a ranged get must either
 * return the right bytes or throw `not_implemented`); `atomicPut` — an aborted overwrite keeps
 * the old object whole; `storeChecksums` — `head` returns a checksum that matches the content
 * (md5 / sha256 are recomputed). The suite never requires a key to be both an object and a
 * "directory" of other keys (`a` and `a/b`), which a filesystem cannot hold.
 */
export function storageDriverConformance(options: StorageDriverConformanceOptions): void {
  describe(`StorageDriver conformance: ${options.name}`, () => {
    let driver: StorageDriver;
    const run = `bk-conformance-${randomBytes(6).toString('hex')}/`;
    let caseCounter = 0;
    /** A fresh prefix per case, so cases never see each other's objects. */
    const prefix = (label: string) => `${run}${String(++caseCounter).padStart(2, '0')}-${label}/`;

    beforeAll(async () => {
      driver = await options.createDriver();
    });

    afterAll(async () => {
      if (!driver) return;
      const keys: string[] = [];
      for await (const info of driver.list(run)) keys.push(info.key);
      await forEachLimit(keys, 16, (key) => driver.delete(key));
      await options.cleanup?.(driver);
      await driver.close?.();
    });

    it('declares a type and boolean capabilities', () => {
      expect(typeof driver.type).toBe('string');
      expect(driver.type.length).toBeGreaterThan(0);
      for (const name of ['rangeReads', 'atomicPut', 'storeChecksums'] as const) {
        expect(typeof driver.capabilities[name]).toBe('boolean');
      }
    });

    it('round-trips an object put from a Buffer', async () => {
      const key = `${prefix('buffer')}object.bin`;
      const data = deterministicBytes(100_000, key);
      await driver.put(key, data);
      expect((await readAll(await driver.get(key))).equals(data)).toBe(true);
    });

    it('round-trips an object put from a stream of many pieces', async () => {
      const key = `${prefix('stream')}object.bin`;
      const size = 3 * MiB + 12_345;
      await driver.put(key, deterministicStream(size, key, 64 * 1024));
      const back = await hashStream(await driver.get(key));
      expect(back).toEqual(await hashStream(deterministicStream(size, key)));
    });

    it('round-trips an empty object', async () => {
      const key = `${prefix('empty')}empty`;
      await driver.put(key, Buffer.alloc(0));
      expect((await readAll(await driver.get(key))).length).toBe(0);
      expect((await driver.head(key))?.size).toBe(0);
    });

    it('overwrites an existing object whole', async () => {
      const key = `${prefix('overwrite')}object`;
      await driver.put(key, deterministicBytes(50_000, 'first'));
      const second = deterministicBytes(1_000, 'second');
      await driver.put(key, Readable.from([second]));
      expect((await readAll(await driver.get(key))).equals(second)).toBe(true);
      expect((await driver.head(key))?.size).toBe(1_000);
    });

    it('rejects get of a missing key with BackupError not_found', async () => {
      const base = prefix('missing');
      await expect(driver.get(`${base}nothing-here`)).rejects.toSatisfy((e) => isBackupError(e, 'not_found'));
      await expect(driver.get(`${base}no/such/dir/key`)).rejects.toSatisfy((e) =>
        isBackupError(e, 'not_found'),
      );
    });

    it('returns null from head of a missing key', async () => {
      expect(await driver.head(`${prefix('head-missing')}nothing`)).toBeNull();
    });

    it('reports key, size and lastModified from head', async () => {
      const key = `${prefix('head')}object`;
      const before = Date.now();
      await driver.put(key, deterministicBytes(12_345, key));
      const info = await driver.head(key);
      expect(info?.key).toBe(key);
      expect(info?.size).toBe(12_345);
      expect(info?.lastModified).toBeInstanceOf(Date);
      // Generous clock tolerance: emulators and stores keep their own time.
      expect(Math.abs((info?.lastModified.getTime() ?? 0) - before)).toBeLessThan(10 * 60_000);
    });

    it('serves byte ranges at the edges of an object (capability: rangeReads)', async () => {
      const key = `${prefix('range')}object`;
      const size = 100_003;
      const data = deterministicBytes(size, key);
      await driver.put(key, data);
      const cases: Array<{ offset: number; length?: number }> = [
        { offset: 0, length: 1 },
        { offset: 0, length: 4096 },
        { offset: size - 1, length: 1 },
        { offset: size - 1 },
        { offset: size - 10, length: 1_000 },
        { offset: 4_096, length: 60_000 },
        { offset: 0 },
        { offset: 0, length: size },
      ];
      for (const range of cases) {
        const expected = data.subarray(
          range.offset,
          range.length === undefined ? size : range.offset + range.length,
        );
        if (driver.capabilities.rangeReads) {
          expect(
            (await readAll(await driver.get(key, { range }))).equals(expected),
            JSON.stringify(range),
          ).toBe(true);
        } else {
          // Not declared: a ranged get is either served correctly or refused as not_implemented.
          try {
            expect((await readAll(await driver.get(key, { range }))).equals(expected)).toBe(true);
          } catch (error) {
            expect(isBackupError(error, 'not_implemented')).toBe(true);
          }
        }
      }
    });

    it('lists by prefix without leaking neighbouring prefixes', async () => {
      const base = prefix('list');
      const keys = ['p/ab', 'p/a-1', 'p/a/x', 'p/a/y/z', 'p/b', 'pq/c', 'other/p/a'].map((k) => base + k);
      await forEachLimit(keys, 8, (key) => driver.put(key, Buffer.from(key)));
      const listed = async (p: string) => {
        const found: string[] = [];
        for await (const info of driver.list(base + p)) {
          expect(info.size).toBe(Buffer.byteLength(info.key));
          found.push(info.key.slice(base.length));
        }
        return found.sort();
      };
      expect(await listed('p/a')).toEqual(['p/a-1', 'p/a/x', 'p/a/y/z', 'p/ab']);
      expect(await listed('p/a/')).toEqual(['p/a/x', 'p/a/y/z']);
      expect(await listed('p/')).toEqual(['p/a-1', 'p/a/x', 'p/a/y/z', 'p/ab', 'p/b']);
      expect(await listed('p')).toEqual(['p/a-1', 'p/a/x', 'p/a/y/z', 'p/ab', 'p/b', 'pq/c']);
      expect(await listed('')).toEqual(keys.map((k) => k.slice(base.length)).sort());
      expect(await listed('zzz')).toEqual([]);
      expect(await listed('p/a/y/z/')).toEqual([]);
    });

    const listingKeys = options.listingKeys ?? 2_500;
    it(`lists ${listingKeys} keys across pages, then deletes them (deleteMany when offered)`, async () => {
      const base = prefix('many');
      const keys = Array.from({ length: listingKeys }, (_, i) => `${base}${(i % 16).toString(16)}/${i}`);
      await forEachLimit(keys, 32, (key) => driver.put(key, Buffer.from(String(key.length))));
      const seen = new Set<string>();
      for await (const info of driver.list(base)) {
        expect(seen.has(info.key)).toBe(false);
        seen.add(info.key);
      }
      expect(seen.size).toBe(keys.length);
      expect(keys.every((key) => seen.has(key))).toBe(true);
      // deleteMany is optional: the driver's batch call when it has one, else delete per key.
      const deleteMany = driver.deleteMany
        ? (batch: string[]) => driver.deleteMany!(batch)
        : (batch: string[]) => forEachLimit(batch, 32, (key) => driver.delete(key));
      await deleteMany([...keys, `${base}missing-key`]);
      const left: string[] = [];
      for await (const info of driver.list(base)) left.push(info.key);
      expect(left).toEqual([]);
    }, 300_000);

    it('deletes objects, and deleting a missing key is not an error', async () => {
      const base = prefix('delete');
      await driver.put(`${base}gone`, Buffer.from('bye'));
      await driver.put(`${base}kept`, Buffer.from('stay'));
      await driver.delete(`${base}gone`);
      expect(await driver.head(`${base}gone`)).toBeNull();
      await expect(driver.get(`${base}gone`)).rejects.toSatisfy((e) => isBackupError(e, 'not_found'));
      await driver.delete(`${base}gone`);
      await driver.delete(`${base}never/existed`);
      const left: string[] = [];
      for await (const info of driver.list(base)) left.push(info.key);
      expect(left).toEqual([`${base}kept`]);
    });

    it('survives 8 concurrent puts of the same content-addressed key', async () => {
      const base = prefix('concurrent');
      const key = `${base}chunks/ab/${'ab'.padEnd(64, '0')}`;
      const size = 2 * MiB + 7;
      await Promise.all(
        Array.from({ length: 8 }, () => driver.put(key, deterministicStream(size, 'same', 64 * 1024))),
      );
      expect(await hashStream(await driver.get(key))).toEqual(
        await hashStream(deterministicStream(size, 'same')),
      );
      const listed: string[] = [];
      for await (const info of driver.list(base)) listed.push(info.key);
      expect(listed).toEqual([key]);
    });

    it('round-trips keys with unicode and spaces', async () => {
      const base = prefix('unicode');
      const keys = ['é ü/ファイル name.bin', 'emoji 🎉 party.txt', 'a b/c d/e  f', 'Ünïcödé/ß/日本語'].map(
        (k) => base + k,
      );
      for (const key of keys) await driver.put(key, Buffer.from(`content of ${key}`));
      for (const key of keys) {
        expect((await readAll(await driver.get(key))).toString()).toBe(`content of ${key}`);
        expect((await driver.head(key))?.key).toBe(key);
      }
      const listed: string[] = [];
      for await (const info of driver.list(base)) listed.push(info.key);
      expect(listed.sort()).toEqual([...keys].sort());
    });

    it('leaves nothing visible after an aborted put', async () => {
      const base = prefix('abort');
      const controller = new AbortController();
      const put = driver.put(`${base}new`, stallingStream(deterministicBytes(256 * 1024, 'partial')), {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 200);
      await expect(put).rejects.toSatisfy((e) => isBackupError(e, 'aborted'));
      const early = new AbortController();
      early.abort();
      await expect(driver.put(`${base}early`, Buffer.from('x'), { signal: early.signal })).rejects.toSatisfy(
        (e) => isBackupError(e, 'aborted'),
      );
      expect(await driver.head(`${base}new`)).toBeNull();
      expect(await driver.head(`${base}early`)).toBeNull();
      const listed: string[] = [];
      for await (const info of driver.list(base)) listed.push(info.key);
      expect(listed).toEqual([]);
    });

    it('keeps the old object whole when an overwrite is aborted (capability: atomicPut)', async () => {
      const key = `${prefix('abort-overwrite')}object`;
      const original = deterministicBytes(10_000, 'original');
      await driver.put(key, original);
      const controller = new AbortController();
      const put = driver.put(key, stallingStream(deterministicBytes(64 * 1024, 'replacement')), {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 200);
      await expect(put).rejects.toSatisfy((e) => isBackupError(e, 'aborted'));
      const now = await driver.head(key);
      if (driver.capabilities.atomicPut) {
        expect((await readAll(await driver.get(key))).equals(original)).toBe(true);
      } else {
        // Without atomic puts the key may be gone, but never holds a part of the aborted body.
        if (now) expect((await readAll(await driver.get(key))).equals(original)).toBe(true);
        else expect(now).toBeNull();
      }
    });

    it('returns a matching stored checksum from head (capability: storeChecksums)', async () => {
      const key = `${prefix('checksum')}object`;
      const data = deterministicBytes(70_000, key);
      await driver.put(key, data);
      const info = await driver.head(key);
      if (driver.capabilities.storeChecksums) {
        expect(info?.checksum).toBeDefined();
        const checksum = info?.checksum;
        if (checksum?.algorithm === 'md5' || checksum?.algorithm === 'sha256') {
          const digest = createHash(checksum.algorithm).update(data);
          expect([digest.copy().digest('hex'), digest.digest('base64')]).toContain(checksum.value);
        } else {
          expect(checksum?.value.length).toBeGreaterThan(0);
        }
      } else {
        expect(info?.size).toBe(data.length);
      }
    });

    it('describes keys without credentials', () => {
      const key = 'snapshots/some-backup.json';
      const described = driver.describe(key);
      expect(described).toContain('some-backup.json');
      expect(described).not.toMatch(/:\/\/[^/\s]*:[^/\s]*@/); // user:password@host
      expect(described).not.toMatch(
        /AccountKey=|SharedAccessSignature|[?&]sig=|X-Amz-Signature|password|secret/i,
      );
      for (const secret of options.secrets ?? []) expect(described).not.toContain(secret);
    });

    const large = options.large ?? {};
    const largeBytes = large.bytes ?? 200 * MiB;
    const maxGrowth = large.maxRssGrowthBytes ?? 150 * MiB;
    it(
      `streams a ${Math.round(largeBytes / MiB)} MiB object in and out with RSS growth under ${Math.round(maxGrowth / MiB)} MiB`,
      async () => {
        const key = `${prefix('large')}object.bin`;
        let written = '';
        const { result, peakGrowth } = await measureRssGrowth(async () => {
          const hash = createHash('sha256');
          // Hash what the driver actually consumes (a listener on the source would race the put).
          const source = deterministicStream(largeBytes, key).pipe(
            new Transform({
              transform(piece: Buffer, _encoding, callback) {
                hash.update(piece);
                callback(null, piece);
              },
            }),
          );
          await driver.put(key, source, { contentLength: largeBytes });
          written = hash.digest('hex');
          return hashStream(await driver.get(key));
        });
        expect(result).toEqual({ sha256: written, size: largeBytes });
        expect((await driver.head(key))?.size).toBe(largeBytes);
        expect(peakGrowth).toBeLessThan(maxGrowth);
        await driver.delete(key);
      },
      large.timeoutMs ?? 600_000,
    );
  });
}

// Data helpers that drivers' own tests may reuse.
export { deterministicStream, hashStream } from './storage-conformance-data.js';
