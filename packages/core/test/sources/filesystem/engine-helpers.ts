import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BackupSource,
  LocalKeyProvider,
  type LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
} from '@backupkit/core';

const MiB = 1024 * 1024;
export const keyProvider = new LocalKeyProvider({ k1: randomBytes(32) });

/** Writes `size` reproducible, incompressible bytes (an AES-CTR keystream of `seed`) piece by piece. */
export async function writeDeterministicFile(file: string, size: number, seed: string): Promise<void> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  let left = size;
  const data = new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(MiB, left);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
  await pipeline(data, createWriteStream(file));
}

export async function openRepository(driver: LocalStorageDriver): Promise<Repository> {
  return Repository.open(driver, { keyProvider, encryption: { enabled: true, keyId: 'k1' }, create: true });
}

export async function backup(
  driver: LocalStorageDriver,
  source: BackupSource,
  backupId: string,
  parent: Manifest | null = null,
): Promise<Manifest> {
  return runBackup({
    repository: await openRepository(driver),
    source,
    context: { signal: new AbortController().signal, parent, full: parent === null },
    jobId: 'job_fs',
    backupId,
    backupType: parent === null ? 'full' : 'incremental',
    compression: { algorithm: 'zstd', level: 1 },
  });
}

/** Bytes on disk under `root` (file sizes). */
export async function diskBytes(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}
