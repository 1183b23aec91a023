import { storageDriverConformance } from '@backupkit/core/testing';
import { GcsFixture } from './gcs-test-driver.js';

const gcs = new GcsFixture();
storageDriverConformance({
  name: 'GcsStorageDriver on the Firebase Storage emulator',
  createDriver: gcs.start,
  cleanup: gcs.close,
});
