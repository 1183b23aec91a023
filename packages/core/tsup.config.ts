import { defineConfig } from 'tsup';
import { tsupBase } from '../../tsup.base.js';

export default defineConfig({
  ...tsupBase,
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    // The chunk worker thread's code, loaded by file beside the main entry (repository/chunk-worker.ts).
    'chunk-worker': 'src/repository/chunk-worker-main.ts',
  },
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  // /testing imports the main entry rather than inlining a second copy of it.
  external: ['vitest', '@backupkit/core'],
  esbuildOptions(options, { format }) {
    // /testing is ESM-only: its CommonJS entry says so (the .d.cts keeps the real types).
    if (format === 'cjs') {
      options.entryPoints = {
        ...(options.entryPoints as Record<string, string>),
        'testing/index': 'src/testing/require-unsupported.ts',
      };
    }
  },
});
