import { defineConfig } from 'vitest/config';

// Plain vitest: the packages resolve from node_modules like in any user's project.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'custom-driver/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
