import type { ChunkRef } from '../repository/manifest.js';

/**
 * Index of the first chunk where `actual` and `expected` differ (id or size), or -1 when they
 * are the same list: how a target compares `RestoreRunContext.chunkRefsOf` with `entry.chunks`.
 */
export function firstChunkDifference(actual: readonly ChunkRef[], expected: readonly ChunkRef[]): number {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i]!.id !== expected[i]!.id || actual[i]!.size !== expected[i]!.size) return i;
  }
  return actual.length === expected.length ? -1 : n;
}
