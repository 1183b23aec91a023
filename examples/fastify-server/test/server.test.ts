import { test } from 'vitest';
import { exampleFlow } from '../../../packages/http-adapter/test/support/example-process.js';

test('pnpm --dir examples/fastify-server start: the full flow, configured only by environment variables', async () => {
  await exampleFlow('fastify-server');
});
