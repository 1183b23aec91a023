// The "Storage" example of packages/core/README.md, type-checked by `pnpm typecheck`
// and compared with the README by readme-examples.test.ts.
// README:begin
import { createBackupService } from '@backupkit/core';
import { azureDriverFactory } from '@backupkit/storage-azure';
import { gcsDriverFactory } from '@backupkit/storage-gcs';
import { s3DriverFactory } from '@backupkit/storage-s3';

const backups = createBackupService({
  storage: {
    localRoot: '/var/lib/backupkit/storage', // `type: 'local'` destinations live under it
    drivers: { s3: s3DriverFactory, azure: azureDriverFactory, gcs: gcsDriverFactory },
  },
});
// README:end
console.log(await backups.health());
