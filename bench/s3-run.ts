// `pnpm bench:s3`: a full backup and a restore of the benchmark dataset through the S3 test
// server (fauxqs, in memory), timed, with the storage requests each made: what the repository
// format costs on an object store. One JSON line.
//   BENCH_SCALE (default 0.25)   BENCH_DB (the dataset database's base name, see scratch-db.ts)
import {
  createPostgresRestoreTarget,
  createPostgresSource,
  LocalKeyProvider,
  Repository,
  runBackup,
  runRestore,
  type StorageDriver,
} from '@backupkit/core';
import { S3Fixture } from '../packages/storage-s3/test/s3-test-driver.js';
import { ensureDataset, recreateDatabase } from './scratch-db.js';

const scale = Number(process.env.BENCH_SCALE ?? 0.25);
const source = await ensureDataset(scale);
const s3 = new S3Fixture();
const inner = await s3.start();
const requests: Record<string, number> = {};
try {
  const driver = new Proxy(inner, {
    get(target, property) {
      const value = (target as unknown as Record<string | symbol, unknown>)[property];
      if (typeof value !== 'function') return value;
      if (!['put', 'get', 'head', 'list', 'delete'].includes(String(property))) return value.bind(target);
      return (...args: unknown[]) => {
        requests[String(property)] = (requests[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as StorageDriver;
  const keyProvider = new LocalKeyProvider({ bench: Buffer.alloc(32, 7) });
  const open = (create: boolean) =>
    Repository.open(driver, { keyProvider, encryption: { enabled: true, keyId: 'bench' }, create });
  let started = performance.now();
  const manifest = await runBackup({
    repository: await open(true),
    source: createPostgresSource({ connection_string: source.url, max_parallel_jobs: 2 }),
    context: { signal: new AbortController().signal, parent: null, full: true },
    jobId: 'job_s3',
    backupId: 'backup_s3',
    backupType: 'full',
    compression: { algorithm: 'zstd' },
  });
  const backupSeconds = (performance.now() - started) / 1000;
  const backupRequests = { ...requests };
  for (const key of Object.keys(requests)) delete requests[key];
  const target = await recreateDatabase(`${source.name}_s3_restore`);
  started = performance.now();
  await runRestore({
    repository: await open(false),
    manifest,
    target: createPostgresRestoreTarget(
      { connection_string: target.url, create_missing_tables: true },
      { parallel_restore: true, max_parallel_jobs: 2 },
    ),
  });
  const restoreSeconds = (performance.now() - started) / 1000;
  await target.drop();
  console.log(
    JSON.stringify({
      scale,
      logical_bytes: manifest.totals.logical_bytes,
      stored_bytes: manifest.totals.stored_bytes,
      chunks: manifest.totals.chunks,
      backup_seconds: backupSeconds,
      restore_seconds: restoreSeconds,
      backup_requests: backupRequests,
      restore_requests: requests,
    }),
  );
} finally {
  await s3.close();
}
