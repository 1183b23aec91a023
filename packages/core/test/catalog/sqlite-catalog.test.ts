import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteCatalog } from '@backupkit/core';
import { catalogConformance } from '@backupkit/core/testing';

const dir = mkdtempSync(join(tmpdir(), 'bk-sqlite-'));
let n = 0;
catalogConformance({
  name: 'sqlite',
  create: async () => createSqliteCatalog({ path: join(dir, `nested/dir/catalog-${n++}.db`) }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
