// The `@backupkit/core/testing` example of packages/core/README.md, type-checked by
// `pnpm typecheck` (and compared with the README by readme-examples.test.ts).
// README:begin
// my-driver.test.ts — run with `npx vitest run`
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStorageDriver } from '@backupkit/core';
import { storageDriverConformance } from '@backupkit/core/testing';

let root = '';
storageDriverConformance({
  name: 'LocalStorageDriver', // your driver here
  createDriver: async () => {
    root = await mkdtemp(path.join(tmpdir(), 'conformance-'));
    return new LocalStorageDriver({ root, fsync: false });
  },
  cleanup: () => rm(root, { recursive: true, force: true }),
  large: { bytes: 64 * 1024 * 1024 }, // the streamed-object case (default 200 MiB)
  secrets: [], // strings describe() must never show, e.g. your access key
});
// README:end
