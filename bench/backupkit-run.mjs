// One backupkit operation in its own process, so the harness measures its wall time and peak RSS.
// Plain JavaScript against the built package (as a user runs it): no TypeScript compiled at start-up.
//   backup  <db url> <repo dir> [backup id]   → full or incremental backup (zstd + AES-256-GCM)
//   restore <db url> <repo dir> <backup id>   → restore every table into <db url>
// Prints JSON with the storage requests it made, by method and top-level prefix.
import { randomBytes } from 'node:crypto';
import {
  createPostgresRestoreTarget,
  createPostgresSource,
  LocalKeyProvider,
  LocalStorageDriver,
  Repository,
  runBackup,
  runRestore,
} from '@backupkit/core';

const [command, url, repoDir, backupId] = process.argv.slice(2);
if (!command || !url || !repoDir)
  throw new Error('usage: backupkit-run.mjs backup|restore <db url> <repo dir> [backup id]');

// A fixed benchmark key: the repository is scratch data, deleted by the harness.
const keyProvider = new LocalKeyProvider({ bench: Buffer.alloc(32, 7) });
// Unset: the library's default zstd level.
const level = process.env.BENCH_ZSTD_LEVEL ? Number(process.env.BENCH_ZSTD_LEVEL) : undefined;
const parallel = Number(process.env.BENCH_PARALLEL ?? 2);
// Unset: the source's default threshold for reading a table as page ranges; `off`: never.
const splitEnv = process.env.BENCH_SPLIT_ABOVE;
const split =
  splitEnv === undefined ? {} : { split_tables_above_bytes: splitEnv === 'off' ? false : Number(splitEnv) };
// Unset: the engine's defaults.
const workers = process.env.BENCH_WORKERS ? Number(process.env.BENCH_WORKERS) : undefined;
// Unset: the library's default chunk size (for measuring others: BENCH_AVG_CHUNK=524288).
const avgChunk = process.env.BENCH_AVG_CHUNK ? Number(process.env.BENCH_AVG_CHUNK) : undefined;

/** Storage requests by method and top-level prefix (`put data/`, `get index/`, …). */
const requests = {};
function counting(driver) {
  return new Proxy(driver, {
    get(target, property) {
      const value = target[property];
      if (typeof value !== 'function') return value;
      // Bound: the driver's private fields are not reachable through the proxy.
      if (!['put', 'get', 'head', 'list', 'delete'].includes(property)) return value.bind(target);
      return (key, ...rest) => {
        const name = `${property} ${String(key).split('/')[0]}${String(key).includes('/') ? '/' : ''}`;
        requests[name] = (requests[name] ?? 0) + 1;
        return value.call(target, key, ...rest);
      };
    },
  });
}

// Engine time, without process start-up (node, tsx compiling the sources, module loading).
const started = performance.now();
const repository = await Repository.open(counting(new LocalStorageDriver({ root: repoDir })), {
  keyProvider,
  encryption: { enabled: true, keyId: 'bench' },
  create: command === 'backup',
  ...(avgChunk
    ? {
        chunker: {
          algorithm: 'fastcdc-gear-v1',
          minSize: avgChunk / 4,
          avgSize: avgChunk,
          maxSize: avgChunk * 4,
        },
      }
    : {}),
});

if (command === 'backup') {
  const parentId = backupId;
  const parent = parentId ? await repository.readManifest(parentId) : null;
  const manifest = await runBackup({
    repository,
    source: createPostgresSource({ connection_string: url, max_parallel_jobs: parallel, ...split }),
    context: { signal: new AbortController().signal, parent, full: false },
    jobId: 'job_bench',
    backupId: `backup_${randomBytes(8).toString('hex')}`,
    backupType: parent ? 'incremental' : 'full',
    compression: level === undefined ? { algorithm: 'zstd' } : { algorithm: 'zstd', level },
    ...(workers === undefined ? {} : { encoderWorkers: workers }),
  });
  process.stdout.write(
    `${JSON.stringify({ backup_id: manifest.backup_id, totals: manifest.totals, engine_seconds: (performance.now() - started) / 1000, requests })}\n`,
  );
} else if (command === 'restore') {
  if (!backupId) throw new Error('restore needs a backup id');
  const manifest = await repository.readManifest(backupId);
  const target = createPostgresRestoreTarget(
    { connection_string: url, create_missing_tables: true },
    { parallel_restore: true, max_parallel_jobs: parallel },
  );
  const result = await runRestore({
    repository,
    manifest,
    target,
    ...(workers === undefined ? {} : { decoderWorkers: workers }),
  });
  process.stdout.write(`${JSON.stringify({ records: result.records, bytes: result.bytes, requests })}\n`);
} else {
  throw new Error(`unknown command ${command}`);
}
