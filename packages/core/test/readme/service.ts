// The first example of packages/core/README.md, type-checked (strict) by `pnpm typecheck` and
// compared with the README by readme-examples.test.ts. Never run: it would back up /srv/uploads.
// README:begin
import { createBackupService, isBackupError, LocalKeyProvider } from '@backupkit/core';

const backups = createBackupService({
  dataDir: '/var/lib/backupkit', // catalog.db (SQLite), secret.key, and storage/ for `local` destinations
  keys: LocalKeyProvider.fromEnv(process.env.BACKUPKIT_KEYS), // "backup_key:<base64 of 32 bytes>"
  access: { sourceRoots: ['/srv/uploads'], restoreRoots: ['/srv/restores'] },
});

const job = await backups.createJob({
  job_name: 'Uploads',
  source: { type: 'filesystem', path: '/srv/uploads', exclude: ['*.tmp', 'cache'] },
  destination: { type: 'local', path: 'uploads' }, // <dataDir>/storage/uploads
  schedule: { frequency: 'daily', time: '02:00', timezone: 'Europe/Paris' },
  retention: { days: 7, weeks: 4, months: 12 },
  compression: { enabled: true, algorithm: 'zstd', level: 3 },
  encryption: { enabled: true, algorithm: 'AES-256-GCM', key_id: 'backup_key' },
});

backups.on('execution.progress', (event) => console.log(event.id, `${event.progress}%`));
const run = await backups.executeJob(job.job_id); // answers at once: status "running" or "queued"
const status = await backups.waitFor(run.execution_id); // a JobStatusView once the run has ended
if (status.status !== 'completed' || !status.result) throw new Error(status.error?.message ?? 'failed');
console.log(status.result.backup_id, status.result.file_size, status.verification?.status);

const restore = await backups.createRestore({
  backup_id: status.result.backup_id,
  destination: { type: 'filesystem', path: '/srv/restores/uploads' },
});
const restored = await backups.waitFor(restore.restore_id); // a RestoreStatusView
console.log(restored.status, restored.result?.files_restored);

try {
  await backups.getJob('job_unknown');
} catch (error) {
  if (isBackupError(error, 'job_not_found')) console.log(error.code, error.message, error.details);
  else throw error;
}

await backups.start(); // run the schedules; stop() waits for running work
process.once('SIGTERM', () => void backups.stop());
// README:end
