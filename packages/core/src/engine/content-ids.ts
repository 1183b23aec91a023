import { chunkStream } from '../repository/chunker.js';
import type { ChunkRef, Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { abortedError } from '../util/abort.js';

/**
 * `RestoreRunContext.chunkRefsOf` for a restore of `manifest`: cuts `content` with the
 * repository's chunker and ids each chunk as that backup did, so a target can compare restored
 * data with `entry.chunks`. Runs on the calling thread, one chunk in memory at a time.
 */
export function chunkRefsFunction(
  repository: Repository,
  manifest: Pick<Manifest, 'encryption'>,
): (content: AsyncIterable<Uint8Array>, signal?: AbortSignal) => Promise<ChunkRef[]> {
  let idOf: Promise<(plaintext: Uint8Array) => string> | undefined;
  return async (content, signal) => {
    idOf ??= repository.chunkIdsOf(manifest);
    const id = await idOf;
    const refs: ChunkRef[] = [];
    for await (const chunk of chunkStream(content, repository.chunkerParams)) {
      if (signal?.aborted) throw abortedError(signal);
      refs.push({ id: id(chunk), size: chunk.length });
    }
    return refs;
  };
}

/** Index of the first chunk where `actual` and `expected` differ (id or size), or -1 when they are the same list. */
export function firstChunkDifference(actual: readonly ChunkRef[], expected: readonly ChunkRef[]): number {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i]!.id !== expected[i]!.id || actual[i]!.size !== expected[i]!.size) return i;
  }
  return actual.length === expected.length ? -1 : n;
}
