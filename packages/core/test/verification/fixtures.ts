import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BackupSource,
  createFilesystemSource,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
} from '@backupkit/core';
import { type BlobOnDisk, blobOnDisk } from '../../../../test-support/chunk-blobs.js';

/** Small chunks so a few MiB make dozens of them. */
export const SMALL_CHUNKS = {
  algorithm: 'fastcdc-gear-v1',
  minSize: 8 * 1024,
  avgSize: 32 * 1024,
  maxSize: 128 * 1024,
} as const;

export interface Workspace {
  root: string;
  sourceDir: string;
  storeDir: string;
  driver: LocalStorageDriver;
  keys: LocalKeyProvider;
  repository: Repository;
  cleanup(): Promise<void>;
}

/** A temp source tree, a local store, and an encrypted repository on it. */
export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(path.join(tmpdir(), 'backupkit-verify-'));
  const sourceDir = path.join(root, 'source');
  const storeDir = path.join(root, 'store');
  await mkdir(path.join(sourceDir, 'docs'), { recursive: true });
  await mkdir(storeDir);
  await writeFile(path.join(sourceDir, 'stable.bin'), randomBytes(600 * 1024));
  await writeFile(path.join(sourceDir, 'changing.bin'), randomBytes(400 * 1024));
  await writeFile(path.join(sourceDir, 'docs', 'readme.txt'), 'hello backupkit\n'.repeat(2000));
  const driver = new LocalStorageDriver({ root: storeDir });
  const keys = new LocalKeyProvider({ main: randomBytes(32) });
  const repository = await Repository.open(driver, {
    keyProvider: keys,
    encryption: { enabled: true, keyId: 'main' },
    create: true,
    chunker: { ...SMALL_CHUNKS },
  });
  return {
    root,
    sourceDir,
    storeDir,
    driver,
    keys,
    repository,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

let counter = 0;

export async function backup(
  ws: Pick<Workspace, 'repository'>,
  source: BackupSource,
  parent: Manifest | null = null,
  jobId = 'job_verify',
): Promise<Manifest> {
  counter++;
  return runBackup({
    repository: ws.repository,
    source,
    context: { signal: new AbortController().signal, parent, full: parent === null },
    jobId,
    backupId: `backup_${Date.now()}_${counter}`,
    backupType: parent ? 'incremental' : 'full',
    compression: { algorithm: 'zstd', level: 3 },
    encoderWorkers: 0,
  });
}

export function directorySource(ws: Workspace): BackupSource {
  return createFilesystemSource({ path: ws.sourceDir });
}

/** Where a chunk's blob lies on the local store: its pack file and byte range. */
export function chunkBlob(ws: Workspace, id: string): Promise<BlobOnDisk> {
  return blobOnDisk(ws.storeDir, id, ws.keys);
}

/** A chunk's stored bytes: its blob, cut from its pack file. */
export async function storedChunkBytes(ws: Workspace, id: string): Promise<Buffer> {
  const blob = await chunkBlob(ws, id);
  return (await readFile(blob.file)).subarray(blob.offset, blob.offset + blob.length);
}

export function manifestPath(ws: Workspace, backupId: string): string {
  return path.join(ws.storeDir, 'snapshots', `${backupId}.json`);
}

/** Every file under `dir`, relative path → SHA-256 of its bytes (deep-equal on Buffers is slow). */
export async function treeOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (at: string) => {
    for (const item of await readdir(at, { withFileTypes: true })) {
      const full = path.join(at, item.name);
      if (item.isDirectory()) await walk(full);
      else
        out.set(
          path.relative(dir, full).split(path.sep).join('/'),
          createHash('sha256')
            .update(await readFile(full))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}
