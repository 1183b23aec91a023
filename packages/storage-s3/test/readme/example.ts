// The examples of packages/storage-s3/README.md, type-checked (strict) by
// `pnpm typecheck` and compared with the README by readme-examples.test.ts.
// README:begin
import { S3Client } from '@aws-sdk/client-s3';
import { createBackupService } from '@backupkit/core';
import { createS3Driver, s3DriverFactory, s3DriverFactoryWith } from '@backupkit/storage-s3';

// Amazon S3, credentials from the SDK's default chain (environment, profile, instance role):
const backups = createBackupService({
  storage: { drivers: { s3: s3DriverFactory } },
});

const job = await backups.createJob({
  job_name: 'Orders database',
  backup_type: 'incremental',
  source: { type: 'database', connection_string: 'postgresql://backup@db.internal/orders' },
  destination: {
    type: 's3',
    bucket: 'acme-backups',
    path: 'orders/daily/',
    region: 'eu-west-1',
    storage_class: 'STANDARD_IA',
    encryption: 'aws:kms',
  },
  schedule: { frequency: 'daily', time: '02:00', timezone: 'UTC' },
});
console.log(job.job_id);

// An S3-compatible store the host chose (MinIO, Ceph, R2...): endpoint and keys set here,
// never in a job. What the factory is given overrides the destination's fields.
const minio = s3DriverFactoryWith({
  endpoint: 'http://minio.internal:9000',
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: {
    accessKeyId: process.env.MINIO_ACCESS_KEY ?? '',
    secretAccessKey: process.env.MINIO_SECRET_KEY ?? '',
  },
});
const onPrem = createBackupService({ storage: { drivers: { s3: minio } } });
console.log(await onPrem.health());

// A driver on its own (a ready client: its settings win, close() leaves it open):
const driver = createS3Driver({ bucket: 'acme-backups', path: 'scratch/', client: new S3Client({}) });
await driver.put('hello.txt', Buffer.from('hello'));
console.log(driver.describe('hello.txt')); // s3://acme-backups/scratch/hello.txt
await driver.close();
// README:end
