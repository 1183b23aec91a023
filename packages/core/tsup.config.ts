import { defineConfig } from 'tsup';
import { tsupBase } from '../../tsup.base.js';

export default defineConfig({
  ...tsupBase,
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  external: ['vitest'],
});
