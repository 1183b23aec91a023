import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSqliteCatalog } from '@backupkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExecution, makeSchedule } from '../../src/testing/catalog-fixtures.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./fixtures/sqlite-race-worker.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

// The atomic operations hold across processes, not just across promises of one process.
describe('SqliteCatalog: processes sharing one file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bk-sqlite-mp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('insertExecution, schedule claims, queue claims and rate counters are atomic across 4 processes', async () => {
    const path = join(dir, 'shared', 'catalog.db');
    const setup = createSqliteCatalog({ path });
    await setup.init();
    await setup.upsertSchedule(makeSchedule({ job_id: 'job_sched' }));
    const queued = Array.from({ length: 40 }, (_, i) =>
      makeExecution({ job_id: `job_mp_${i}`, priority: i % 5 }),
    );
    for (const e of queued) await setup.insertExecution(e);
    await setup.close();

    const startAt = Date.now() + 1500;
    const outputs = await Promise.all(
      ['p0', 'p1', 'p2', 'p3'].map((name) =>
        run(process.execPath, ['--import', tsx, worker, path, name, String(startAt)], { timeout: 60_000 }),
      ),
    );
    const results = outputs.map(
      (o) =>
        JSON.parse(o.stdout.trim()) as {
          inserted: number;
          in_progress: number;
          schedule_wins: number;
          claimed: string[];
          counts: number[];
        },
    );

    expect(results.reduce((s, r) => s + r.inserted, 0)).toBe(1);
    expect(results.reduce((s, r) => s + r.in_progress, 0)).toBe(39);
    expect(results.reduce((s, r) => s + r.schedule_wins, 0)).toBe(1);
    expect(results.flatMap((r) => r.counts).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const claimed = results.flatMap((r) => r.claimed);
    expect(new Set(claimed).size).toBe(claimed.length);
    // The 40 queued ones plus the one job_race execution that won the insert race.
    expect(claimed).toHaveLength(41);
    expect(claimed).toEqual(expect.arrayContaining(queued.map((e) => e.execution_id)));
  });
});
