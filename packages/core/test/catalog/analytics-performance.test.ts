import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CatalogRepository, createPostgresCatalog, createSqliteCatalog } from '@backupkit/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempDatabase, withClient } from '../../../../test-support/postgres.js';
import { BACKUPS, EXECUTIONS, JOBS, RESTORES, type RecordSpec } from '../../src/catalog/record-columns.js';
import { insertStatement } from '../../src/catalog/sql/sql-builder.js';
import { sqliteDialect } from '../../src/catalog/sql/sql-dialect.js';
import {
  type AnalyticsDataSet,
  analyticsDataSet,
  recountAnalytics,
} from '../../src/testing/catalog-fixtures.js';

// 10,000 backups (+2,500 executions): analytics must stay a database aggregate, well under 1 s.
const data = analyticsDataSet(11, 10_000);
const tables: Array<[RecordSpec, object[]]> = [
  [JOBS, data.jobs],
  [BACKUPS, data.backups],
  [EXECUTIONS, data.executions],
  [RESTORES, data.restores],
];
const filters = [
  {},
  { job_id: 'job_an_2', date_from: '2024-03-04T00:00:00Z', date_to: '2024-03-15T00:00:00Z' },
];

async function measure(name: string, catalog: CatalogRepository, set: AnalyticsDataSet): Promise<void> {
  for (const filter of filters) {
    const started = performance.now();
    const result = await catalog.analytics(filter);
    const ms = performance.now() - started;
    console.log(
      `[catalog] ${name} analytics over ${set.backups.length} backups, filter ${JSON.stringify(filter)}: ${ms.toFixed(1)} ms`,
    );
    expect(ms).toBeLessThan(1000);
    expect(result).toEqual(recountAnalytics(set, filter));
  }
}

describe('analytics over 10,000 backups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bk-analytics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sqlite answers in under a second', async () => {
    const path = join(dir, 'catalog.db');
    const catalog = createSqliteCatalog({ path });
    await catalog.init();
    // Bulk load in one transaction through the shared statement builder.
    const loadStarted = performance.now();
    const db = new Database(path);
    db.transaction(() => {
      for (const [spec, rows] of tables) {
        let statement: Database.Statement | undefined;
        for (const row of rows) {
          const s = insertStatement(sqliteDialect, spec, row);
          statement ??= db.prepare(s.sql);
          statement.run(...s.params);
        }
      }
    })();
    db.close();
    console.log(`[catalog] sqlite bulk load: ${(performance.now() - loadStarted).toFixed(0)} ms`);
    await measure('sqlite', catalog, data);
    await catalog.close();
  });

  it('postgres answers in under a second', async () => {
    const temp = await createTempDatabase('bk_analytics');
    const catalog = createPostgresCatalog({ connectionString: temp.url });
    try {
      await catalog.init();
      // Bulk load: one statement per table, rows passed as one JSON array.
      const loadStarted = performance.now();
      await withClient(temp.url, async (client) => {
        for (const [spec, rows] of tables) {
          const columns = Object.keys(spec.columns)
            .map((c) => `"${c}"`)
            .join(', ');
          await client.query(
            `INSERT INTO public.${spec.table} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::public.${spec.table}, $1::jsonb)`,
            [JSON.stringify(rows)],
          );
        }
        await client.query('ANALYZE');
      });
      console.log(`[catalog] postgres bulk load: ${(performance.now() - loadStarted).toFixed(0)} ms`);
      await measure('postgres', catalog, data);
    } finally {
      await catalog.close();
      await temp.drop();
    }
  });
});
