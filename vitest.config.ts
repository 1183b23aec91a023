import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against sources: a package's tests import siblings through these aliases,
// never through another package's build output.
export const alias = {
  '@backupkit/core/testing': src('./packages/core/src/testing/index.ts'),
  '@backupkit/core': src('./packages/core/src/index.ts'),
  '@backupkit/storage-s3': src('./packages/storage-s3/src/index.ts'),
  '@backupkit/storage-azure': src('./packages/storage-azure/src/index.ts'),
  '@backupkit/storage-gcs': src('./packages/storage-gcs/src/index.ts'),
  '@backupkit/http-adapter/express': src('./packages/http-adapter/src/express.ts'),
  '@backupkit/http-adapter/fastify': src('./packages/http-adapter/src/fastify.ts'),
  '@backupkit/http-adapter': src('./packages/http-adapter/src/index.ts'),
  '@backupkit/example-server-config': src('./examples/server-config/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // Type tests (`expectTypeOf` in *.test-d.ts) run with `vitest run` too: tsc checks them, and a
    // failed assertion or any other type error in them fails the run.
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['./test-support/global-setup.ts'],
  },
});
