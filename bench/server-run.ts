// `pnpm bench:server`: one long-lived example server (the built Express example, run with
// `node`), driven through its REST API only, runs backups and restores of the 1.2 GB dataset
// back to back; its peak RSS is read from /proc after every run. What a deployed service sees:
// memory a run leaves behind shows up as peaks that grow with the number of runs.
//   BENCH_SERVER_RUNS   runs (default 13: 10 backups — full, and incremental after the realistic
//                       change, alternating — and, every fourth run, a restore of the newest)
//   BENCH_ZSTD_LEVEL    the job's zstd level (default: the library's)
//   BENCH_SERVER_SCALE  the dataset's scale (default 1: the 1.2 GB dataset)
//   BENCH_SERVER_LOG=1  the server's log lines on stderr
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiClient } from './api-client.js';
import { type ProcessMemory, processMemory, resetPeak } from './process-memory.js';
import { changeDatabase, cloneDatabase, ensureDataset, recreateDatabase, settle } from './scratch-db.js';
import { startServer } from './server-process.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const runs = Math.max(1, Number(process.env.BENCH_SERVER_RUNS ?? 13));
const scale = Number(process.env.BENCH_SERVER_SCALE ?? 1);
const level = process.env.BENCH_ZSTD_LEVEL ? Number(process.env.BENCH_ZSTD_LEVEL) : undefined;
const LIMIT_MIB = 256;
const work = join(process.env.BENCH_WORKDIR ?? tmpdir(), 'backupkit-bench-server');
const entry = join(repoRoot, 'examples/express-server/dist/server.js');

type Kind = 'full backup' | 'incremental backup' | 'restore';
/** Every fourth run restores the newest backup; backups alternate full / incremental after a change. */
const kindOf = (run: number, backupsSoFar: number): Kind =>
  run % 4 === 0 ? 'restore' : backupsSoFar % 2 === 0 ? 'full backup' : 'incremental backup';

interface RunRow extends ProcessMemory {
  run: number;
  kind: Kind;
  seconds: number;
  /** VmHWM since the process started. */
  processPeakMiB: number;
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const source = await ensureDataset(scale);
// Changed between runs, so the main dataset stays as loaded.
const copy = await cloneDatabase(source.name, `${source.name}_server`);
const token = randomBytes(16).toString('hex');
const server = await startServer(
  entry,
  {
    PORT: '0',
    BACKUPKIT_DATA_DIR: join(work, 'data'),
    BACKUPKIT_STORAGE_DIR: join(work, 'storage'),
    BACKUPKIT_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}`,
    BACKUPKIT_API_TOKENS: `${token}:bench`,
    BACKUPKIT_RATE_LIMITS: 'execution:off,restore_creation:off',
  },
  process.env.BENCH_SERVER_LOG ? (line) => process.stderr.write(`[server] ${line}\n`) : undefined,
);
const api = apiClient(server.url, token);
const exactPeaks = resetPeak(server.pid);
const start = processMemory(server.pid);
log(`server pid ${server.pid} at ${server.url}: ${start.rssMiB.toFixed(0)} MiB RSS after start-up`);
if (!exactPeaks) log('cannot reset VmHWM here: each "run peak" is the peak since start-up');

const rows: RunRow[] = [];
try {
  const job = await api.call('POST', '/jobs', {
    job_name: 'bench server',
    backup_type: 'incremental',
    source: { type: 'database', connection_string: copy.url },
    destination: { type: 'local', path: 'bench/' },
    compression: { enabled: true, algorithm: 'zstd', ...(level === undefined ? {} : { level }) },
    encryption: { enabled: true, key_id: 'bench' },
  });
  let backups = 0;
  let newest = '';
  console.log('run  kind                 seconds   run peak MiB   RSS after MiB   process peak MiB');
  for (let run = 1; run <= runs; run++) {
    const kind = kindOf(run, backups);
    if (kind === 'incremental backup') await changeDatabase(copy.url, 'realistic');
    const target = kind === 'restore' ? await recreateDatabase(`${source.name}_server_restore`) : null;
    await settle();
    resetPeak(server.pid);
    const started = performance.now();
    if (target) {
      const restore = await api.call('POST', '/restores', {
        backup_id: newest,
        destination: { type: 'database', connection_string: target.url, overwrite_existing: true },
      });
      const done = await api.settle(`/restores/${restore.restore_id}/status`);
      if (done.status !== 'completed') throw new Error(`restore ${JSON.stringify(done)}`);
    } else {
      const execution = { force_full_backup: kind === 'full backup' };
      await api.call('POST', `/jobs/${job.job_id}/execute`, { execution_options: execution });
      const done = await api.settle(`/jobs/${job.job_id}/status`);
      if (done.status !== 'completed') throw new Error(`backup ${JSON.stringify(done)}`);
      newest = (done.result as { backup_id: string }).backup_id;
      backups++;
    }
    const seconds = (performance.now() - started) / 1000;
    const memory = processMemory(server.pid);
    await target?.drop();
    const row = {
      run,
      kind,
      seconds,
      ...memory,
      processPeakMiB: Math.max(memory.peakMiB, ...rows.map((r) => r.peakMiB)),
    };
    rows.push(row);
    console.log(
      `${String(run).padStart(3)}  ${kind.padEnd(19)} ${seconds.toFixed(1).padStart(8)} ${memory.peakMiB.toFixed(0).padStart(14)} ${memory.rssMiB.toFixed(0).padStart(15)} ${row.processPeakMiB.toFixed(0).padStart(18)}`,
    );
  }
} finally {
  const end = processMemory(server.pid);
  await server.stop();
  await copy.drop();
  rmSync(work, { recursive: true, force: true });
  if (rows.length > 0) summarize(rows, end);
}

function summarize(rows: RunRow[], end: ProcessMemory): void {
  const peak = Math.max(...rows.map((r) => r.peakMiB));
  // Growth: each kind's last run against its first (the same work, later in the process's life).
  const growth = (['full backup', 'incremental backup', 'restore'] as const).flatMap((kind) => {
    const of = rows.filter((r) => r.kind === kind);
    return of.length < 2 ? [] : [`${kind} ${(of.at(-1)!.peakMiB - of[0]!.peakMiB).toFixed(0)} MiB`];
  });
  console.log(`\nPeak RSS over all runs: ${peak.toFixed(0)} MiB (target ≤ ${LIMIT_MIB})`);
  console.log(
    `RSS at the end: ${end.rssMiB.toFixed(0)} MiB; after start-up it was ${start.rssMiB.toFixed(0)} MiB`,
  );
  console.log(`Peak growth, last run against first of each kind: ${growth.join(', ') || 'n/a'}`);
  const out = join(
    repoRoot,
    '.bench-results',
    `server-${new Date().toISOString().replaceAll(':', '-')}.json`,
  );
  mkdirSync(join(repoRoot, '.bench-results'), { recursive: true });
  const result = {
    generated_at: new Date().toISOString(),
    zstd_level: level ?? null,
    exact_peaks: exactPeaks,
    start,
    end,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`JSON results: ${out}`);
  if (peak > LIMIT_MIB) process.exitCode = 1;
}

function log(message: string): void {
  process.stderr.write(`[bench:server] ${message}\n`);
}
