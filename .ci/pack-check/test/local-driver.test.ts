// The storage conformance suite from the installed @backupkit/core/testing, on core's own
// local driver (the custom-driver/ copy of examples/custom-storage-driver runs it on another).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStorageDriver } from '@backupkit/core';
import { storageDriverConformance } from '@backupkit/core/testing';

let root = '';
storageDriverConformance({
  name: 'LocalStorageDriver (installed)',
  createDriver: async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bk-pack-local-'));
    return new LocalStorageDriver({ root });
  },
  cleanup: () => rm(root, { recursive: true, force: true }),
  large: { bytes: 32 * 1024 * 1024 },
});
