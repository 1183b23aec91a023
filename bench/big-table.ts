// The one-big-table scenario of `pnpm bench`: the dataset's largest table alone (~1 GB of COPY
// text at 1×), where one COPY stream each way is all pg_dump / pg_restore -j can use. Measures
// backupkit reading it as page ranges against the same backup read whole, its restore against
// pg_restore -j 2, and the second backup's dedup after the realistic change, split and whole.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Measurement, measure } from './measure.js';
import { changeDatabase, cloneDatabase, ensureBigTable, recreateDatabase, settle } from './scratch-db.js';

export interface BigTableRun {
  samples: Map<string, Measurement[]>;
  extra: Map<string, number[]>;
}

export const BIG = {
  whole: 'one big table: backup, read whole',
  split: 'one big table: backup, page ranges',
  pgRestore: 'one big table: pg_restore -j 2',
  restore: 'one big table: restore of the page-range backup',
} as const;

/** One repetition of the scenario, adding to `run`. */
export async function bigTableRep(
  scale: number,
  work: string,
  backupkit: string,
  repoRoot: string,
  run: BigTableRun,
): Promise<void> {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const add = (name: string, m: Measurement) => run.samples.set(name, [...(run.samples.get(name) ?? []), m]);
  const note = (name: string, v: number) => run.extra.set(name, [...(run.extra.get(name) ?? []), v]);
  const timed = async (command: string, env?: NodeJS.ProcessEnv) => {
    await settle();
    return measure(command, { cwd: repoRoot, ...(env ? { env } : {}) });
  };
  const whole = { BENCH_SPLIT_ABOVE: 'off' };
  const source = await ensureBigTable(scale);
  const dir = join(work, 'big');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const backup = async (url: string, repo: string, env: NodeJS.ProcessEnv, parent = '') => {
    const m = await timed(`${backupkit} backup ${q(url)} ${q(join(dir, repo))} ${parent}`, env);
    const out = JSON.parse(m.stdout.trim()) as {
      backup_id: string;
      totals: { stored_bytes: number; logical_bytes: number };
    };
    return { m, out };
  };

  const read = await backup(source.url, 'repo-whole', whole);
  add(BIG.whole, read.m);
  note('one big table: logical bytes', read.out.totals.logical_bytes);
  const split = await backup(source.url, 'repo-split', {});
  add(BIG.split, split.m);

  const dump = join(dir, 'dump.fc');
  await timed(`pg_dump -Fc -f ${q(dump)} ${q(source.url)}`);
  const theirs = await recreateDatabase(`${source.name}_restore`);
  add(BIG.pgRestore, await timed(`pg_restore -j 2 -d ${q(theirs.url)} ${q(dump)}`));
  const ours = await recreateDatabase(`${source.name}_restore`);
  add(
    BIG.restore,
    await timed(`${backupkit} restore ${q(ours.url)} ${q(join(dir, 'repo-split'))} ${split.out.backup_id}`),
  );
  await ours.drop();

  // The same change seen by both: first backups of the copy, one change, then the second backups.
  const copy = await cloneDatabase(source.name, `${source.name}_realistic`);
  const firstSplit = await backup(copy.url, 'repo2-split', {});
  const firstWhole = await backup(copy.url, 'repo2-whole', whole);
  await changeDatabase(copy.url, 'realistic', ['events']);
  const secondSplit = await backup(copy.url, 'repo2-split', {}, firstSplit.out.backup_id);
  const secondWhole = await backup(copy.url, 'repo2-whole', whole, firstWhole.out.backup_id);
  note(
    'one big table: second/first stored, page ranges',
    secondSplit.out.totals.stored_bytes / firstSplit.out.totals.stored_bytes,
  );
  note(
    'one big table: second/first stored, whole',
    secondWhole.out.totals.stored_bytes / firstWhole.out.totals.stored_bytes,
  );
  await copy.drop();
  rmSync(dir, { recursive: true, force: true });
}
