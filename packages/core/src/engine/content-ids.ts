import { ChunkCutter } from '../repository/chunker.js';
import type { ChunkRef, Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { abortedError } from '../util/abort.js';
import { giveBack } from '../util/lent-buffers.js';

/**
 * `RestoreRunContext.chunkRefsOf` for a restore of `manifest`: cuts `content` with the
 * repository's chunker and ids each chunk as that backup did, so a target can compare restored
 * data with `entry.chunks`. Runs on the calling thread, one chunk in memory at a time.
 */
export function chunkRefsFunction(
  repository: Repository,
  manifest: Pick<Manifest, 'encryption'>,
): (content: AsyncIterable<Uint8Array>, signal?: AbortSignal) => Promise<ChunkRef[]> {
  let chunking: ReturnType<Repository['chunkingOf']> | undefined;
  return async (content, signal) => {
    chunking ??= repository.chunkingOf(manifest);
    const { chunkId: id, gear } = await chunking;
    const refs: ChunkRef[] = [];
    // Each chunk is hashed in the cutter's own buffer: a copy per chunk made this re-read (of
    // every restored table, after a restore) a gigabyte of garbage for a gigabyte of data.
    const cutter = new ChunkCutter(repository.chunkerParams, undefined, gear);
    const visit = (chunk: Buffer) => refs.push({ id: id(chunk), size: chunk.length });
    for await (const piece of content) {
      if (signal?.aborted) throw abortedError(signal);
      cutter.visit(piece, visit);
      giveBack(piece); // hashed or copied: a lent piece (a COPY stream's) can be reused
    }
    cutter.visitRest(visit);
    return refs;
  };
}
