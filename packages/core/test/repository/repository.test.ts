import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BackupError,
  LocalKeyProvider,
  type LocalStorageDriver,
  type Manifest,
  Repository,
  snapshotKey,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobOnDisk, flipBlobByte } from '../../../../test-support/chunk-blobs.js';
import { allFiles, tempDriver } from '../engine/fixtures.js';

let driver: LocalStorageDriver;
let root: string;
let cleanup: () => Promise<void>;
const master = randomBytes(32);
const provider = new LocalKeyProvider({ k1: master });
const encryption = { enabled: true, keyId: 'k1' };

beforeEach(async () => {
  ({ driver, root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

async function errorOf(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

function manifest(backupId: string, note: string): Manifest {
  return {
    format: 1,
    backup_id: backupId,
    job_id: 'job_1',
    backup_type: 'full',
    parent_backup_id: null,
    started_at: '2026-11-26T10:00:00.000Z',
    completed_at: '2026-11-26T10:00:01.000Z',
    source: { type: 'fake', note },
    compression: { algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256-GCM', key_id: 'k1' },
    metadata: {},
    entries: [],
    totals: {
      entries: 0,
      logical_bytes: 0,
      chunks: 0,
      new_chunks: 0,
      new_bytes: 0,
      stored_bytes: 0,
      referenced_stored_bytes: 0,
    },
  };
}

describe('Repository', () => {
  it('initialises the layout and refuses to open a missing repository without create', async () => {
    expect((await errorOf(Repository.open(driver, { create: false }))).code).toBe('not_found');
    const repo = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    const files = await allFiles(root);
    const config = JSON.parse(files.get('repo.json')!.toString());
    expect(config).toMatchObject({
      format: 2,
      pack: { target_size: 16 * 1024 * 1024 },
      chunker: { min_size: 262144, avg_size: 1048576, max_size: 4194304 },
    });
    expect(config.repo_id).toBe(repo.id);
    const keyFiles = [...files.keys()].filter((k) => k.startsWith('keys/'));
    expect(keyFiles).toHaveLength(1);
    const record = JSON.parse(files.get(keyFiles[0]!)!.toString());
    expect(record).toMatchObject({ key_id: 'k1', wrapped: { algorithm: 'aes-256-gcm' } });
    // Reopening reuses the data key instead of adding one.
    const again = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    expect(again.id).toBe(repo.id);
    expect([...(await allFiles(root)).keys()].filter((k) => k.startsWith('keys/'))).toHaveLength(1);
  });

  it('stores, dedups, lists and verifies chunks; a chunk whose pack is gone is missing', async () => {
    const repo = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    const data = Buffer.from('SENTINEL-PLAINTEXT '.repeat(5000));
    const id = repo.chunkId(data);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // HMAC, not a plain hash of the content.
    const plain = await Repository.open(driver, { create: false });
    expect(plain.chunkId(data)).not.toBe(id);
    const first = await repo.putChunk(id, data, { algorithm: 'zstd', level: 3 });
    expect(first).toMatchObject({ written: true, compression: 'zstd' });
    const second = await repo.putChunk(id, data, { algorithm: 'zstd', level: 3 });
    expect(second).toEqual({ written: false, storedBytes: first.storedBytes, compression: 'zstd' });
    expect(await repo.hasChunk(id)).toBe(true);
    expect((await repo.getChunk(id)).equals(data)).toBe(true);
    // A reader without encryption settings still reads it with the key provider.
    const reader = await Repository.open(driver, { keyProvider: provider, create: false });
    expect((await reader.getChunk(id)).equals(data)).toBe(true);
    const ids: string[] = [];
    for await (const x of repo.listChunks()) ids.push(x.id);
    expect(ids).toEqual([id]);
    await rm((await blobOnDisk(root, id, provider)).file);
    await repo.refreshIndex();
    expect(await repo.hasChunk(id)).toBe(false);
    const missing = await errorOf(repo.getChunk(id));
    expect(missing.code).toBe('integrity_error');
    expect(missing.message).toContain(id);
  });

  it('flags tampered, swapped or truncated chunks as integrity_error naming the chunk', async () => {
    const repo = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    const a = Buffer.from('chunk A '.repeat(1000));
    const b = Buffer.from('chunk B '.repeat(1000));
    const idA = repo.chunkId(a);
    const idB = repo.chunkId(b);
    await repo.putChunk(idA, a, { algorithm: 'gzip', level: 6 });
    await repo.putChunk(idB, b, { algorithm: 'gzip', level: 6 });
    const blobA = await blobOnDisk(root, idA, provider);
    const blobB = await blobOnDisk(root, idB, provider);
    const original = await readFile(blobA.file);
    for (const offset of [0, 4, 5, 9, 30, 40, blobA.length - 1]) {
      const bad = Buffer.from(original);
      bad[blobA.offset + offset]! ^= 0x80;
      await writeFile(blobA.file, bad);
      const error = await errorOf(repo.getChunk(idA));
      expect(error.code, `offset ${offset}`).toBe('integrity_error');
      expect(error.details.chunk_id).toBe(idA);
    }
    // B's bytes stored in A's place: authenticated data binds the id.
    expect(blobB.length).toBe(blobA.length);
    const swapped = Buffer.from(original);
    (await readFile(blobB.file)).copy(swapped, blobA.offset, blobB.offset, blobB.offset + blobB.length);
    await writeFile(blobA.file, swapped);
    expect((await errorOf(repo.getChunk(idA))).code).toBe('integrity_error');
    await writeFile(blobA.file, original.subarray(0, blobA.offset + blobA.length - 5));
    const truncated = await errorOf(repo.getChunk(idA));
    expect(truncated.code).toBe('integrity_error');
    expect(truncated.details.chunk_id).toBe(idA);
  });

  it('detects tampering without encryption too', async () => {
    const repo = await Repository.open(driver, { create: true });
    const data = Buffer.from('plain chunk '.repeat(1000));
    const id = repo.chunkId(data);
    await repo.putChunk(id, data, { algorithm: 'none' });
    await flipBlobByte(root, id, { at: 100 });
    expect((await errorOf(repo.getChunk(id))).code).toBe('integrity_error');
  });

  it('writes encrypted manifests bound to their backup id', async () => {
    const repo = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    await repo.writeManifest(manifest('bk_1', 'SENTINEL-MANIFEST'));
    await repo.writeManifest(manifest('bk_2', 'other'));
    expect(await repo.listSnapshotIds()).toEqual(['bk_1', 'bk_2']);
    expect((await repo.readManifest('bk_1')).source).toEqual({ type: 'fake', note: 'SENTINEL-MANIFEST' });
    for (const [, bytes] of await allFiles(root)) expect(bytes.includes('SENTINEL-MANIFEST')).toBe(false);

    const file1 = path.join(root, snapshotKey('bk_1'));
    const original = await readFile(file1);
    await writeFile(file1, await readFile(path.join(root, snapshotKey('bk_2'))));
    expect((await errorOf(repo.readManifest('bk_1'))).code).toBe('integrity_error');
    const flipped = Buffer.from(original);
    flipped[original.length - 20]! ^= 4;
    await writeFile(file1, flipped);
    const tampered = await errorOf(repo.readManifest('bk_1'));
    expect(tampered.code).toBe('integrity_error');
    expect(tampered.details.backup_id).toBe('bk_1');

    expect((await errorOf(repo.readManifest('bk_missing'))).code).toBe('backup_not_found');
    await repo.deleteSnapshot('bk_2');
    expect(await repo.listSnapshotIds()).toEqual(['bk_1']);
  });

  it('reports a wrong master key as key_mismatch and a missing one as key_not_found', async () => {
    const repo = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    await repo.writeManifest(manifest('bk_1', 'x'));
    const data = Buffer.from('some chunk '.repeat(100));
    const id = repo.chunkId(data);
    await repo.putChunk(id, data, { algorithm: 'zstd' });

    const wrong = new LocalKeyProvider({ k1: randomBytes(32) });
    expect(
      (await errorOf(Repository.open(driver, { keyProvider: wrong, encryption, create: false }))).code,
    ).toBe('key_mismatch');
    const wrongReader = await Repository.open(driver, { keyProvider: wrong, create: false });
    expect((await errorOf(wrongReader.readManifest('bk_1'))).code).toBe('key_mismatch');
    expect((await errorOf(wrongReader.getChunk(id))).code).toBe('key_mismatch');

    const other = new LocalKeyProvider({ k2: randomBytes(32) });
    const noKey = await Repository.open(driver, { keyProvider: other, create: false });
    expect((await errorOf(noKey.readManifest('bk_1'))).code).toBe('key_not_found');
    const noProvider = await Repository.open(driver, { create: false });
    expect((await errorOf(noProvider.readManifest('bk_1'))).code).toBe('key_not_found');
    expect(
      (await errorOf(Repository.open(driver, { keyProvider: other, encryption, create: false }))).code,
    ).toBe('key_not_found');
    // A deleted data key file is damage to the repository.
    for (const key of (await allFiles(root)).keys())
      if (key.startsWith('keys/')) await rm(path.join(root, key));
    const damaged = await errorOf(
      (await Repository.open(driver, { keyProvider: provider, create: false })).readManifest('bk_1'),
    );
    expect(damaged.code).toBe('integrity_error');
  });

  it('keeps every data key when initialisers race, and reads objects of each', async () => {
    const [r1, r2, r3] = await Promise.all([
      Repository.open(driver, { keyProvider: provider, encryption, create: true }),
      Repository.open(driver, { keyProvider: provider, encryption, create: true }),
      Repository.open(driver, { keyProvider: provider, encryption, create: true }),
    ]);
    const writers = [r1!, r2!, r3!];
    const ids: string[] = [];
    for (const [i, repo] of writers.entries()) {
      const data = Buffer.from(`writer ${i} `.repeat(100));
      const id = repo.chunkId(data);
      await repo.putChunk(id, data, { algorithm: 'none' });
      ids.push(id);
    }
    const reader = await Repository.open(driver, { keyProvider: provider, create: false });
    for (const [i, id] of ids.entries()) {
      expect((await reader.getChunk(id)).toString()).toBe(`writer ${i} `.repeat(100));
    }
    // A later writer picks one deterministic key among those present.
    const later1 = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    const later2 = await Repository.open(driver, { keyProvider: provider, encryption, create: true });
    expect(later1.chunkId(Buffer.from('x'))).toBe(later2.chunkId(Buffer.from('x')));
  });

  it('adds a data key for a new master key id and keeps reading the old one', async () => {
    const both = new LocalKeyProvider({ k1: master, k2: randomBytes(32) });
    const old = await Repository.open(driver, { keyProvider: both, encryption, create: true });
    const a = Buffer.from('old key data');
    const idA = old.chunkId(a);
    await old.putChunk(idA, a, { algorithm: 'none' });
    const toK2 = { enabled: true, keyId: 'k2' };
    const readOnly = await errorOf(
      Repository.open(driver, { keyProvider: both, encryption: toK2, create: false }),
    );
    expect(readOnly.code).toBe('key_not_found');
    expect([...(await allFiles(root)).keys()].filter((k) => k.startsWith('keys/'))).toHaveLength(1);
    const rotated = await Repository.open(driver, { keyProvider: both, encryption: toK2, create: true });
    expect(rotated.keyId).toBe('k2');
    expect([...(await allFiles(root)).keys()].filter((k) => k.startsWith('keys/'))).toHaveLength(2);
    expect((await rotated.getChunk(idA)).equals(a)).toBe(true);
  });
});
