// A CommonJS project's driver test, type-checked only: vitest runs test files as ES modules
// (the /testing entry is ESM-only at run time), but its types must work in CommonJS code.
import { LocalStorageDriver } from '@backupkit/core';
import { storageDriverConformance } from '@backupkit/core/testing';

storageDriverConformance({
  name: 'LocalStorageDriver (CommonJS project)',
  createDriver: async () => new LocalStorageDriver({ root: '/tmp/never-run' }),
  large: { bytes: 1024 },
});
