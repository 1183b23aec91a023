import type { Options } from 'tsup';

/** Shared tsup settings: ESM + CJS + declarations, one place to change them. */
export const tsupBase: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
};
