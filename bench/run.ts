// `pnpm bench`: backupkit against pg_dump / pg_restore and the parallel COPY read limit, on the
// same data in the same run, alternating scenarios, medians of BENCH_REPS (≥ 3) repetitions.
// Then the one-big-table scenario (big-table.ts; BENCH_BIG_SCALE, default 1, 0 leaves it out).
// BENCH_SCALES=none runs only that; BENCH_WORKDIR moves the scratch directory (default: tmp).
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG, type BigTableRun, bigTableRep } from './big-table.js';
import { type Measurement, measure, median } from './measure.js';
import { printReport, type Row } from './report.js';
import { changeDatabase, cloneDatabase, ensureDataset, recreateDatabase, settle } from './scratch-db.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const reps = Math.max(3, Number(process.env.BENCH_REPS ?? 3));
// `none`: only the one-big-table scenario.
const scales = (process.env.BENCH_SCALES ?? '1')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
// The one-big-table scenario's scale (1: ~1 GB of COPY text); 0 leaves it out.
const bigScale = Number(process.env.BENCH_BIG_SCALE ?? 1);
const work = join(process.env.BENCH_WORKDIR ?? tmpdir(), 'backupkit-bench');
const backupkit = `node ${join(repoRoot, 'bench/backupkit-run.mjs')}`;
const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

// Each measurement starts after a checkpoint (see settle).
const timed = async (command: string, options?: Parameters<typeof measure>[1]): Promise<Measurement> => {
  await settle();
  return measure(command, options);
};

const results: Record<string, unknown>[] = [];
for (const scale of scales) {
  const source = await ensureDataset(scale);
  const samples = new Map<string, Measurement[]>();
  const extra = new Map<string, number[]>();
  const add = (name: string, m: Measurement) => samples.set(name, [...(samples.get(name) ?? []), m]);
  const note = (name: string, v: number) => extra.set(name, [...(extra.get(name) ?? []), v]);

  for (let rep = 0; rep < reps; rep++) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const dumpFile = join(work, 'dump.fc');
    const repo = join(work, 'repo');
    log(`scale ${scale} rep ${rep + 1}/${reps}`);

    const readLimit = await timed(`node ${join(repoRoot, 'bench/read-limit.mjs')} ${q(source.url)} 2`, {
      cwd: repoRoot,
    });
    add('read limit, pg-copy-streams (2 conns)', readLimit);
    // The dataset's size as COPY text (what pg_dump moves): the common measure for every MB/s.
    note('logical bytes', (JSON.parse(readLimit.stdout.trim()) as { bytes: number }).bytes);
    const sourceRead = await timed(`node ${join(repoRoot, 'bench/source-read.mjs')} ${q(source.url)} 2`, {
      cwd: repoRoot,
    });
    add('read limit, backupkit source (2 conns)', sourceRead);
    add('read limit, backupkit source (in-process, no start-up)', {
      ...sourceRead,
      wallSeconds: (JSON.parse(sourceRead.stdout.trim()) as { seconds: number }).seconds,
    });
    add('pg_dump -Fc', await timed(`pg_dump -Fc -f ${q(dumpFile)} ${q(source.url)}`));
    note('pg_dump -Fc bytes', statSync(dumpFile).size);
    add(
      'pg_dump | zstd -3',
      await timed(`pg_dump ${q(source.url)} | zstd -3 -q -c > ${q(join(work, 'dump.sql.zst'))}`),
    );
    note('pg_dump | zstd -3 bytes', statSync(join(work, 'dump.sql.zst')).size);

    const full = await timed(`${backupkit} backup ${q(source.url)} ${q(repo)}`, { cwd: repoRoot });
    add('backupkit full backup', full);
    const fullOut = JSON.parse(full.stdout.trim()) as {
      backup_id: string;
      totals: { stored_bytes: number; logical_bytes: number; chunks: number };
      engine_seconds: number;
      requests: Record<string, number>;
    };
    note('backupkit stored bytes', fullOut.totals.stored_bytes);
    note('full backup: objects written', sumRequests(fullOut.requests, 'put '));
    note('full backup: chunks', fullOut.totals.chunks);
    // The engine's own time, without process start-up (node, module loading).
    add('backupkit full backup (in-process, no start-up)', {
      ...full,
      wallSeconds: fullOut.engine_seconds,
    });
    // Less than the COPY text where tables with bytea are read in binary.
    note('backupkit bytes read', fullOut.totals.logical_bytes);

    const restoreDb = await recreateDatabase(`${source.name}_restore`);
    add('pg_restore -j 2', await timed(`pg_restore -j 2 -d ${q(restoreDb.url)} ${q(dumpFile)}`));
    const ours = await recreateDatabase(`${source.name}_restore`);
    const restored = await timed(`${backupkit} restore ${q(ours.url)} ${q(repo)} ${fullOut.backup_id}`, {
      cwd: repoRoot,
    });
    add('backupkit restore', restored);
    const restoreOut = JSON.parse(restored.stdout.trim()) as { requests: Record<string, number> };
    note('restore: range reads of packs', restoreOut.requests['get data/'] ?? 0);
    await ours.drop();

    // Second backups run against a copy of the source, changed, with the first backup of that copy as parent.
    for (const shape of ['realistic', 'uniform'] as const) {
      const copy = await cloneDatabase(source.name, `${source.name}_${shape}`);
      const repo2 = join(work, `repo-${shape}`);
      const first = await timed(`${backupkit} backup ${q(copy.url)} ${q(repo2)}`, { cwd: repoRoot });
      const firstOut = JSON.parse(first.stdout.trim()) as {
        backup_id: string;
        totals: { stored_bytes: number };
      };
      await changeDatabase(copy.url, shape);
      const second = await timed(`${backupkit} backup ${q(copy.url)} ${q(repo2)} ${firstOut.backup_id}`, {
        cwd: repoRoot,
      });
      const secondOut = JSON.parse(second.stdout.trim()) as {
        totals: { stored_bytes: number; chunks: number; new_chunks: number };
        requests: Record<string, number>;
      };
      if (shape === 'realistic') {
        note('second backup: requests', sumRequests(secondOut.requests, ''));
        note('second backup: reused chunks', secondOut.totals.chunks - secondOut.totals.new_chunks);
        note(
          'second backup: requests for pack data (get/head data/)',
          (secondOut.requests['get data/'] ?? 0) + (secondOut.requests['head data/'] ?? 0),
        );
      }
      add(`backupkit second backup (${shape} change)`, second);
      add(`backupkit first backup (${shape} copy)`, first);
      note(`second/first stored (${shape})`, secondOut.totals.stored_bytes / firstOut.totals.stored_bytes);
      await copy.drop();
    }
  }

  const med = (name: string) => median((samples.get(name) ?? []).map((m) => m.wallSeconds));
  const rss = (name: string) => Math.max(...(samples.get(name) ?? []).map((m) => m.peakRssMiB));
  const val = (name: string) => median(extra.get(name) ?? []);
  // Ratios pair the two scenarios of each repetition (run minutes apart, not a whole run
  // apart) and take the median: the machine's speed drifts over a run.
  const ratio = (a: string, b: string) => {
    const over = samples.get(b) ?? [];
    return median((samples.get(a) ?? []).map((m, i) => m.wallSeconds / (over[i]?.wallSeconds ?? Number.NaN)));
  };
  const logical = val('logical bytes');
  const rows: Row[] = [...samples.keys()].map((name) => ({
    name,
    seconds: med(name),
    peakRssMiB: rss(name),
    mbPerSecond: logical / 1e6 / med(name),
    cpuSeconds: median((samples.get(name) ?? []).map((m) => m.cpuSeconds)),
  }));
  const ratios = {
    'full / pg_dump -Fc (target ≤ 0.35)': ratio('backupkit full backup', 'pg_dump -Fc'),
    'full / pg_dump | zstd -3 (target ≤ 0.75)': ratio('backupkit full backup', 'pg_dump | zstd -3'),
    'full / read limit of its own source (target ≤ 1.4, stretch 1.2)': ratio(
      'backupkit full backup',
      'read limit, backupkit source (2 conns)',
    ),
    'full / read limit through pg-copy-streams': ratio(
      'backupkit full backup',
      'read limit, pg-copy-streams (2 conns)',
    ),
    'full / read limit, both in-process (no start-up)': ratio(
      'backupkit full backup (in-process, no start-up)',
      'read limit, backupkit source (in-process, no start-up)',
    ),
    'stored / pg_dump -Fc file (target ≤ 0.95)': val('backupkit stored bytes') / val('pg_dump -Fc bytes'),
    'stored / pg_dump | zstd -3 file': val('backupkit stored bytes') / val('pg_dump | zstd -3 bytes'),
    'second (realistic) wall / its full (target ≤ 0.8)': ratio(
      'backupkit second backup (realistic change)',
      'backupkit first backup (realistic copy)',
    ),
    'second (realistic) stored / its full (target ≤ 0.03)': val('second/first stored (realistic)'),
    'second (uniform 1% updates) stored / its full (no target)': val('second/first stored (uniform)'),
    'restore / pg_restore -j 2 (target ≤ 1.0)': ratio('backupkit restore', 'pg_restore -j 2'),
  };
  printReport(scale, logical, rows, ratios);
  const counts = [
    'full backup: chunks',
    'full backup: objects written',
    'restore: range reads of packs',
    'second backup: reused chunks',
    'second backup: requests',
    'second backup: requests for pack data (get/head data/)',
  ];
  console.log('\nStorage requests (median of the repetitions):');
  for (const name of counts) console.log(`  ${name.padEnd(58)} ${val(name)}`);
  results.push({
    scale,
    logical_bytes: logical,
    repetitions: reps,
    rows,
    ratios,
    requests: Object.fromEntries(
      [...extra].filter(([name]) => name.includes(':')).map(([name, values]) => [name, median(values)]),
    ),
    stored_bytes: val('backupkit stored bytes'),
    backupkit_bytes_read: val('backupkit bytes read'),
    pg_dump_fc_bytes: val('pg_dump -Fc bytes'),
    // Every repetition's wall seconds, in run order, per scenario.
    wall_seconds: Object.fromEntries([...samples].map(([name, ms]) => [name, ms.map((m) => m.wallSeconds)])),
  });
}

if (bigScale > 0) {
  const run: BigTableRun = { samples: new Map(), extra: new Map() };
  for (let rep = 0; rep < reps; rep++) {
    log(`one big table, scale ${bigScale}, rep ${rep + 1}/${reps}`);
    mkdirSync(work, { recursive: true });
    await bigTableRep(bigScale, work, backupkit, repoRoot, run);
  }
  const seconds = (name: string) => (run.samples.get(name) ?? []).map((m) => m.wallSeconds);
  const ratio = (a: string, b: string) => {
    const over = seconds(b);
    return median(seconds(a).map((v, i) => v / (over[i] ?? Number.NaN)));
  };
  const val = (name: string) => median(run.extra.get(name) ?? []);
  const logical = val('one big table: logical bytes');
  const rows: Row[] = [...run.samples.keys()].map((name) => ({
    name,
    seconds: median(seconds(name)),
    peakRssMiB: Math.max(...(run.samples.get(name) ?? []).map((m) => m.peakRssMiB)),
    mbPerSecond: logical / 1e6 / median(seconds(name)),
    cpuSeconds: median((run.samples.get(name) ?? []).map((m) => m.cpuSeconds)),
  }));
  const ratios = {
    'page ranges / read whole, full backup (target ≤ 0.8)': ratio(BIG.split, BIG.whole),
    'restore / pg_restore -j 2 (target ≤ 0.6)': ratio(BIG.restore, BIG.pgRestore),
    'second (realistic) stored / its full, page ranges': val(
      'one big table: second/first stored, page ranges',
    ),
    'second (realistic) stored / its full, read whole': val('one big table: second/first stored, whole'),
  };
  printReport(bigScale, logical, rows, ratios, 'one big table (events)');
  results.push({
    scenario: 'one big table',
    scale: bigScale,
    logical_bytes: logical,
    repetitions: reps,
    rows,
    ratios,
    wall_seconds: Object.fromEntries(
      [...run.samples].map(([name, ms]) => [name, ms.map((m) => m.wallSeconds)]),
    ),
  });
}

const out = join(repoRoot, '.bench-results', `bench-${new Date().toISOString().replaceAll(':', '-')}.json`);
mkdirSync(join(repoRoot, '.bench-results'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ generated_at: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`\nJSON results: ${out}`);
rmSync(work, { recursive: true, force: true });

/** Requests whose name starts with `prefix` (`put ` = every object written). */
function sumRequests(requests: Record<string, number>, prefix: string): number {
  return Object.entries(requests)
    .filter(([name]) => name.startsWith(prefix))
    .reduce((sum, [, n]) => sum + n, 0);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
