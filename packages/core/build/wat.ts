import { readFile } from 'node:fs/promises';
import type { Options } from 'tsup';
import wabtInit from 'wabt';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

// WebAssembly text (`.wat`) imported as its assembled bytes: `import bytes from './x.wat'` gives
// a Uint8Array. The build (tsup, through esbuild) and the tests (vitest, through Vite) assemble
// the text with wabt each time, so the sources hold no binary and the bytes cannot drift from
// the text.

const WAT = /\.wat$/;

/** The module's bytes (threads enabled: the scan works over shared memory). */
export async function assembleWat(path: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(path, await readFile(path, 'utf8'), { threads: true });
  try {
    module.resolveNames();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** A JavaScript module whose default export is the assembled bytes of `path`. */
export async function watModuleSource(path: string): Promise<string> {
  const base64 = Buffer.from(await assembleWat(path)).toString('base64');
  return `export default new Uint8Array(Buffer.from(${JSON.stringify(base64)}, 'base64'));\n`;
}

/** For tsup / esbuild. */
export function watEsbuildPlugin(): EsbuildPlugin {
  return {
    name: 'wat',
    setup(build) {
      build.onLoad({ filter: WAT }, async (args) => ({
        contents: await watModuleSource(args.path),
        loader: 'js',
      }));
    },
  };
}

/** For Vite / vitest (the shape of a Vite plugin, without importing Vite's types). */
export function watVitePlugin() {
  return {
    name: 'wat',
    enforce: 'pre' as const,
    async load(id: string) {
      return WAT.test(id) ? await watModuleSource(id) : null;
    },
  };
}
