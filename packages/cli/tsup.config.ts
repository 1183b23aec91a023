import { defineConfig } from 'tsup';
import { tsupBase } from '../../tsup.base.js';

// `index` is the library (run() for embedding and tests); `cli` is the `backupkit` bin, ESM
// only, with the shebang its source starts with.
export default defineConfig([
  {
    ...tsupBase,
    entry: { index: 'src/index.ts' },
    external: [/^@backupkit\//],
  },
  {
    ...tsupBase,
    entry: { cli: 'src/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    external: [/^@backupkit\//],
  },
]);
