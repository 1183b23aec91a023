/**
 * The one home of compression settings: which algorithms exist, the levels each accepts and the
 * level used when none is given. Job validation, per-run overrides and the repository all read
 * these, so a default cannot differ between what a job shows and what a chunk is written with.
 */

/** Every algorithm a job, a run or a chunk may use; `none` stores chunks as they are. */
export const COMPRESSION_ALGORITHMS = ['none', 'gzip', 'brotli', 'zstd'] as const;

/** The algorithms that take a level. */
export type LevelledCompressionAlgorithm = Exclude<(typeof COMPRESSION_ALGORITHMS)[number], 'none'>;

/** Levels each algorithm accepts (inclusive) and its default. `none` takes no level. */
export const COMPRESSION_LEVELS: Readonly<
  Record<
    LevelledCompressionAlgorithm,
    { readonly min: number; readonly max: number; readonly default: number }
  >
> = Object.freeze({
  gzip: { min: 1, max: 9, default: 6 },
  brotli: { min: 0, max: 11, default: 4 },
  // Measured on COPY text in ~1 MiB chunks (bench dataset): level 1 is 1.7-2x faster than 3 AND
  // about 5% smaller (215.8 vs 228.0 MB for the 1.2 GB dataset, 10.67 vs 11.33 MB for a small
  // sample); 2 is between, 4-5 are larger still.
  zstd: { min: 1, max: 19, default: 1 },
});
