import { afterAll, beforeAll, test } from 'vitest';
import { exampleFlow, exampleS3Flow } from '../../../packages/http-adapter/test/support/example-process.js';
import { createSourceDatabase } from '../../../packages/http-adapter/test/support/fixture.js';
import type { TempDatabase } from '../../../test-support/postgres.js';

let source: TempDatabase;
beforeAll(async () => {
  source = await createSourceDatabase(500);
});
afterAll(async () => {
  await source?.drop();
});

test('pnpm --dir examples/fastify-server start: the full flow, configured only by environment variables', async () => {
  await exampleFlow('fastify-server', source);
});

test('an s3 destination through BACKUPKIT_S3_* settings, on a real S3-compatible server', async () => {
  await exampleS3Flow('fastify-server', source);
});
