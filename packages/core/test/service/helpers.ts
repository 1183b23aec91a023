import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type BackupServiceOptions,
  type CreateJobInput,
  createBackupService,
  createMemoryCatalog,
  LocalKeyProvider,
} from '@backupkit/core';

export const KEY_ID = 'test_key';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `backupkit-${prefix}-`));
}

/** A small tree: text files that compress, random files that do not, nested directories. */
export async function makeTree(root: string, files = 40): Promise<void> {
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `dir${i % 4}`, i % 3 === 0 ? 'nested' : '');
    await mkdir(dir, { recursive: true });
    const body =
      i % 5 === 0 ? randomBytes(20_000 + i * 100) : Buffer.from(`line ${i}\n`.repeat(500 + i * 30), 'utf8');
    await writeFile(path.join(dir, `file${i}.txt`), body);
  }
}

/** relative path → sha256 of every regular file under `root`. */
export async function treeDigest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute);
      else if (entry.isFile()) {
        out.set(
          path.relative(root, absolute),
          createHash('sha256')
            .update(await readFile(absolute))
            .digest('hex'),
        );
      }
    }
  };
  await walk(root);
  return out;
}

/** Test trees and restore targets live in the OS temp directory: let the service read and write there. */
export const TEMP_ACCESS = { sourceRoots: [os.tmpdir()], restoreRoots: [os.tmpdir()] };

export function testKeys(): LocalKeyProvider {
  return new LocalKeyProvider({ [KEY_ID]: Buffer.alloc(32, 7), other_key: Buffer.alloc(32, 9) });
}

/** A service on a memory catalog with its local storage in a temp dir. */
export async function makeService(overrides: Partial<BackupServiceOptions> = {}) {
  const dataDir = await tempDir('svc');
  const service = createBackupService({
    catalog: createMemoryCatalog(),
    dataDir,
    keys: testKeys(),
    secretKey: Buffer.alloc(32, 1),
    progressIntervalMs: 20,
    access: TEMP_ACCESS,
    ...overrides,
  });
  return {
    service,
    dataDir,
    async cleanup() {
      await service.stop({ cancelRunning: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function fsJob(sourcePath: string, extra: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    job_name: 'Files',
    description: 'test tree',
    backup_type: 'incremental',
    source: { type: 'filesystem', path: sourcePath },
    destination: { type: 'local', path: 'files' },
    compression: { enabled: true, algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
    ...extra,
  };
}
