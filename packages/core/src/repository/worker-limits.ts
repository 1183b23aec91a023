import type { ResourceLimits } from 'node:worker_threads';

/**
 * Heap limits for the chunk encoder and decoder workers. Their JavaScript heap holds only small
 * messages (chunk bytes live outside it), but V8's default young generation (up to 3 × 16 MiB
 * semi-spaces) gets touched by the scavenger all the same: ~30–40 MiB of resident memory per
 * worker, which made a run's memory grow with the core count. A small young generation keeps a
 * worker near its baseline.
 */
export const WORKER_RESOURCE_LIMITS: ResourceLimits = Object.freeze({
  maxYoungGenerationSizeMb: 4,
  maxOldGenerationSizeMb: 128,
});
