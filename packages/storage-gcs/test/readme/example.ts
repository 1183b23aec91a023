// The examples of packages/storage-gcs/README.md, type-checked (strict) by
// `pnpm typecheck` and compared with the README by readme-examples.test.ts.
// README:begin
import { createBackupService } from '@backupkit/core';
import { createGcsDriver, gcsDriverFactory, gcsDriverFactoryWith } from '@backupkit/storage-gcs';

// Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server...):
const backups = createBackupService({ storage: { drivers: { gcs: gcsDriverFactory } } });

const job = await backups.createJob({
  job_name: 'Orders database',
  source: { type: 'database', connection_string: 'postgresql://backup@db.internal/orders' },
  destination: { type: 'gcs', bucket: 'acme-backups', path: 'orders/', storage_class: 'NEARLINE' },
});
console.log(job.job_id);

// A service-account key file and project the host chose (a job may never name a key file):
const keyed = gcsDriverFactoryWith({ keyFilename: '/etc/backupkit/gcs-key.json', projectId: 'acme-prod' });
const hosted = createBackupService({ storage: { drivers: { gcs: keyed } } });
console.log(await hosted.health());

// A driver on its own:
const driver = createGcsDriver({ bucket: 'acme-backups', path: 'scratch/', storageClass: 'STANDARD' });
await driver.put('hello.txt', Buffer.from('hello'));
console.log(driver.describe('hello.txt')); // gs://acme-backups/scratch/hello.txt
// README:end
