/**
 * CommonJS source (prepended to the chunk worker bodies) defining `collectGarbage(bytes)`: after
 * every ~2 MiB of chunk data a worker runs a minor GC (well under a millisecond on its tiny heap);
 * and `collectAllGarbage()`, a full one, for when a run detaches from a shared worker.
 *
 * Why: each chunk leaves short-lived output buffers (the cipher's, the decompressor's) outside
 * the JavaScript heap, and V8 only collects a thread's dead buffers once ~64 MiB of them have
 * piled up, because its heap hardly grows. That was up to ~64 MiB of resident memory per
 * worker, so a run's memory grew with the core count. `gc` is obtained by enabling
 * --expose-gc just long enough to create one private context, then switching it off again.
 */
export const WORKER_GC_SOURCE = `'use strict';
const [collectGarbage, collectAllGarbage] = (() => {
  let gc = null;
  try {
    const v8 = require('node:v8');
    v8.setFlagsFromString('--expose-gc');
    try { gc = require('node:vm').runInNewContext('gc'); } finally { v8.setFlagsFromString('--no-expose-gc'); }
  } catch { gc = null; }
  let pending = 0;
  const minor = (bytes) => {
    pending += bytes;
    if (pending < 2 * 1024 * 1024 || typeof gc !== 'function') return;
    pending = 0;
    gc({ type: 'minor' });
  };
  // Once a run detaches: the worker outlives it (workers are shared), and what the run left
  // (its shared memory above all) must not stay reachable from here until a full collection
  // that this small heap might not run for a long time.
  const full = () => {
    pending = 0;
    if (typeof gc === 'function') gc();
  };
  return [minor, full];
})();
`;
