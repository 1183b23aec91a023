import { readdir, readFile, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { tsupBase } from '../../tsup.base.js';

const JOSE_NOTICE = '/*! Includes jose: MIT License, Copyright (c) 2018 Filip Skokan */';

export default defineConfig({
  ...tsupBase,
  entry: { index: 'src/index.ts', express: 'src/express.ts', fastify: 'src/fastify.ts' },
  external: ['@backupkit/core', 'express', 'fastify'],
  // jose is ESM-only: `require` of it needs require(esm), which Node 20.10–20.18 lack. The
  // CommonJS build bundles it; the ESM build keeps importing the installed jose.
  noExternal: ['jose'],
  esbuildOptions(options, { format }) {
    if (format === 'esm') options.external = [...(options.external ?? []), 'jose'];
  },
  // The bundled copy keeps jose's licence notice, at the end (no source map line moves; a
  // banner would not survive tree shaking).
  async onSuccess() {
    for (const name of await readdir('dist')) {
      if (!name.endsWith('.cjs')) continue;
      const file = `dist/${name}`;
      const code = await readFile(file, 'utf8');
      if (!code.includes('jwtVerify') || code.includes(JOSE_NOTICE)) continue;
      await writeFile(file, code.replace(/(\/\/# sourceMappingURL=[^\n]*\n?)?$/, `${JOSE_NOTICE}\n$1`));
    }
  },
});
