import { test } from 'vitest';
import { exampleFlow, exampleS3Flow } from '../../../packages/http-adapter/test/support/example-process.js';

test('pnpm --dir examples/fastify-server start: the full flow, configured only by environment variables', async () => {
  await exampleFlow('fastify-server');
});

test('an s3 destination through BACKUPKIT_S3_* settings, on a real S3-compatible server', async () => {
  await exampleS3Flow('fastify-server');
});
