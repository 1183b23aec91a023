import { defineConfig } from 'tsup';
import { tsupBase } from '../../tsup.base.js';

export default defineConfig({
  ...tsupBase,
  entry: { index: 'src/index.ts', express: 'src/express.ts', fastify: 'src/fastify.ts' },
  external: ['@backupkit/core', 'express', 'fastify'],
});
