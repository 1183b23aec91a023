import { randomBytes } from 'node:crypto';
import { createPostgresCatalog } from '@backupkit/core';
import { catalogConformance } from '@backupkit/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';

let db: TempDatabase;
beforeAll(async () => {
  db = await createTempDatabase('bk_catalog');
});
afterAll(async () => db.drop());

// One database, a fresh schema per test (also exercises the `schema` option).
catalogConformance({
  name: 'postgres',
  create: async () =>
    createPostgresCatalog({ connectionString: db.url, schema: `c_${randomBytes(5).toString('hex')}` }),
});
