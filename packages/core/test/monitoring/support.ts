import { randomBytes } from 'node:crypto';
import type { BackupService, CreateJobInput } from '@backupkit/core';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import { KEY_ID } from '../service/helpers.js';

/** A password no figure, span attribute or log line may ever contain (trust auth ignores it). */
export const SENTINEL_PASSWORD = `pw-SENTINEL-${randomBytes(6).toString('hex')}`;

export function withSentinelPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = SENTINEL_PASSWORD;
  return parsed.toString();
}

/** A small database to back up: two tables, a few hundred rows. */
export async function createMonitoredDatabase(): Promise<TempDatabase> {
  const db = await createTempDatabase('bk_monitor');
  await withClient(db.url, async (client) => {
    await client.query(`
      CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, payload jsonb);
      INSERT INTO items (name, payload)
        SELECT 'item ' || g, jsonb_build_object('n', g, 'pad', repeat('x', g % 40)) FROM generate_series(1, 400) g;
      CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
      INSERT INTO notes (body) SELECT repeat('note ', g % 30) FROM generate_series(1, 300) g;
    `);
  });
  return db;
}

/** A PostgreSQL job with the sentinel password, encrypted, compressed, verified after each run. */
export function databaseJob(url: string, extra: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    job_name: 'Monitored database',
    backup_type: 'full',
    source: { type: 'database', connection_string: withSentinelPassword(url) },
    destination: { type: 'local', path: `monitored-${randomBytes(3).toString('hex')}` },
    compression: { enabled: true, algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
    verification: { enabled: true, verification_type: 'full' },
    ...extra,
  };
}

/** Runs the job once and returns its final status. */
export async function runOnce(service: BackupService, jobId: string) {
  const execution = await service.executeJob(jobId);
  return service.waitFor(execution.execution_id, { timeoutMs: 120_000 });
}
