import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SharedWorkerPool, type WorkerEntry } from './shared-workers.js';

/**
 * Where the chunk worker's code is: beside this module. Built, it is `chunk-worker.js` (ESM) or
 * `chunk-worker.cjs` (CommonJS) next to the bundle that includes this code — the file name
 * carries that bundle's extension; run from sources (the package's tests), it is
 * chunk-worker-main.ts, loaded through tsx.
 *
 * Why a file: the worker is real code, built and checked like the rest (not a string to
 * evaluate). Bundling this package into one file of one's own breaks the lookup; the error then
 * names the file it expected.
 */
function chunkWorkerEntry(): WorkerEntry {
  const here = typeof __filename === 'string' ? pathToFileURL(__filename) : new URL(import.meta.url);
  if (here.pathname.endsWith('.ts')) {
    return {
      url: new URL('../util/typescript-worker.mjs', here),
      workerData: { typescriptEntry: new URL('./chunk-worker-main.ts', here).href },
    };
  }
  const url = new URL(`./chunk-worker${extname(here.pathname)}`, here);
  if (!existsSync(url)) throw new Error(`The chunk worker file ${url.pathname} is missing`);
  return { url, workerData: null };
}

let pool: SharedWorkerPool | null = null;

/** The process's chunk workers (started on first use, shared by every run: see shared-workers.ts). */
export function chunkWorkers(): SharedWorkerPool {
  pool ??= new SharedWorkerPool('chunk', chunkWorkerEntry);
  return pool;
}
