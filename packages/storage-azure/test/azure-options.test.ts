import { isBackupError } from '@backupkit/core';
import { accessTierOf, azureDriverFactory, createAzureBlobDriver } from '@backupkit/storage-azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzuriteFixture } from './azure-test-driver.js';

describe('Azure driver options and destination factory', () => {
  const azurite = new AzuriteFixture();
  beforeAll(azurite.start);
  afterAll(azurite.close);

  it('builds a working driver from a destination with a connection string and an access tier', async () => {
    const driver = await azureDriverFactory({
      type: 'azure',
      container: azurite.container,
      path: 'db/daily',
      storage_class: 'Cool',
      connection_string: azurite.server.connectionString,
    });
    await driver.put('repo.json', Buffer.from('{}'));
    const blob = azurite.driver({ path: '' }).client.getBlobClient('db/daily/repo.json');
    expect((await blob.getProperties()).accessTier).toBe('Cool');
    expect(driver.describe('repo.json')).toBe(
      `azure://devstoreaccount1/${azurite.container}/db/daily/repo.json`,
    );
  });

  it('connects with account + key too, and accepts a ready ContainerClient', async () => {
    const { account, accountKey, blobEndpoint } = azurite.server;
    const byKey = createAzureBlobDriver({
      container: azurite.container,
      account,
      accountKey,
      serviceUrl: blobEndpoint,
    });
    await byKey.put('by-key', Buffer.from('k'));
    const ready = createAzureBlobDriver({ container: azurite.container, client: byKey.client });
    expect((await ready.head('by-key'))?.size).toBe(1);
  });

  it('maps tiers and refuses Archive and missing connection settings', () => {
    expect(accessTierOf('STANDARD_IA')).toBe('Cool');
    expect(accessTierOf('hot')).toBe('Hot');
    const invalid = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isBackupError(error, 'invalid_backup_config');
      }
      return false;
    };
    expect(invalid(() => accessTierOf('Archive'))).toBe(true);
    expect(invalid(() => azureDriverFactory({ type: 'azure', path: 'x' }))).toBe(true);
    expect(invalid(() => createAzureBlobDriver({ container: 'c' }))).toBe(true);
  });

  it('reports a missing container as storage_error, not as a missing object', async () => {
    const driver = createAzureBlobDriver({
      container: 'no-such-container',
      connectionString: azurite.server.connectionString,
    });
    const error = await driver.get('k').catch((e: unknown) => e);
    expect(isBackupError(error, 'storage_error'), String(error)).toBe(true);
    expect(JSON.stringify((error as Error).cause)).not.toContain(azurite.server.accountKey);
  });
});
