// The root README's "Embedding the service" snippet, verbatim between the markers (a test in
// readme-embedding.test.ts keeps the two equal), compiled under the repository's strict settings.
// Type-checked only: the snippet never runs.

// README:begin
import { createBackupService } from '@backupkit/core';

const backups = createBackupService({
  dataDir: './.backupkit', // catalog.db (SQLite) and secret.key live here
  // keys: default LocalKeyProvider.fromEnv(process.env.BACKUPKIT_KEYS)  ("id:base64,id2:base64")
  // catalog: createPostgresCatalog({...}) for several instances sharing one catalog
  // storage: { localRoot, drivers: { s3: s3DriverFactoryWith({...}) } }
});

const job = await backups.createJob(
  {
    job_name: 'Daily Database Backup',
    backup_type: 'incremental',
    source: { type: 'database', connection_string: process.env.DATABASE_URL, exclude_tables: ['log_*'] },
    destination: { type: 'local', path: 'db/daily' },
    schedule: { frequency: 'daily', time: '02:00', timezone: 'America/Toronto' },
    retention: { days: 30, weeks: 12, months: 12, years: 7 },
    compression: { enabled: true, algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256', key_id: 'backup_key' },
  },
  { principal: 'admin_1' },
);

backups.on('execution.progress', (e) => console.log(e.id, `${e.progress}%`));
const run = await backups.executeJob(job.job_id); // returns at once: status "running"
const status = await backups.waitFor(run.execution_id); // a JobStatusView
console.log(status.status, status.result?.backup_id, status.verification?.status);
await backups.start(); // run schedules; stop() waits for running work

// README:end

import type { ExecutionView, JobStatusView, JobView } from '@backupkit/core';
import { expectTypeOf, test } from 'vitest';

test('the README snippet compiles and needs no casts', () => {
  expectTypeOf(job).toEqualTypeOf<JobView>();
  expectTypeOf(run).toEqualTypeOf<ExecutionView>();
  expectTypeOf(status).toEqualTypeOf<JobStatusView>();
});
