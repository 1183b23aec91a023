import { storageDriverConformance } from '@backupkit/core/testing';
import { AZURITE_ACCOUNT_KEY } from '../../../test-support/servers/index.js';
import { AzuriteFixture } from './azure-test-driver.js';

const azurite = new AzuriteFixture();
storageDriverConformance({
  name: 'AzureBlobStorageDriver on Azurite',
  createDriver: azurite.start,
  cleanup: azurite.close,
  secrets: [AZURITE_ACCOUNT_KEY],
});
