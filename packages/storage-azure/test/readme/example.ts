// The examples of packages/storage-azure/README.md, type-checked (strict) by
// `pnpm typecheck` and compared with the README by readme-examples.test.ts.

// Stands in for @azure/identity's DefaultAzureCredential (not a dependency of this package).
declare class DefaultAzureCredential {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

// README:begin
import { createBackupService } from '@backupkit/core';
import { azureDriverFactory, azureDriverFactoryWith, createAzureBlobDriver } from '@backupkit/storage-azure';

// Credentials from the destination, or else AZURE_STORAGE_CONNECTION_STRING /
// AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY in the server's environment:
const backups = createBackupService({ storage: { drivers: { azure: azureDriverFactory } } });

const job = await backups.createJob({
  job_name: 'Orders database',
  source: { type: 'database', connection_string: 'postgresql://backup@db.internal/orders' },
  destination: { type: 'azure', container: 'backups', path: 'orders/', storage_class: 'Cool' },
});
console.log(job.job_id);

// The host's account, with its key or a Microsoft Entra ID credential:
const withKey = azureDriverFactoryWith({ account: 'acmebackups', accountKey: process.env.AZURE_STORAGE_KEY });
const withIdentity = azureDriverFactoryWith({
  account: 'acmebackups',
  credential: new DefaultAzureCredential(), // from @azure/identity
});
const hosted = createBackupService({ storage: { drivers: { azure: withIdentity } } });
console.log(await hosted.health(), withKey);

// A driver on its own:
const driver = createAzureBlobDriver({
  container: 'backups',
  path: 'scratch/',
  connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
  accessTier: 'Cool',
});
await driver.put('hello.txt', Buffer.from('hello'));
console.log(driver.describe('hello.txt')); // azure://<account>/backups/scratch/hello.txt
// README:end
