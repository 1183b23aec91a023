import { test } from 'vitest';
import { exampleFlow } from '../../../packages/http-adapter/test/support/example-process.js';

test('pnpm --dir examples/express-server start: the full flow, configured only by environment variables', async () => {
  await exampleFlow('express-server');
});
