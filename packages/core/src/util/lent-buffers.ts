/**
 * Buffers lent out of a reusable memory pool (e.g. decoded chunks written into shared-memory
 * slots). The pool marks each buffer with how to take its memory back; the consumer that is
 * last to need the bytes (a writer, once the socket has them) hands it back, and the pool
 * reuses the memory.
 *
 * Why a side table instead of a release callback passed along: the buffers travel through
 * ordinary Node streams (the engine's content stream, a target's transforms), which carry
 * bytes only. A buffer nobody hands back is simply never reused: correct, only the pool's
 * memory is not recycled.
 */
const lenders = new WeakMap<Uint8Array, () => void>();

/** Marks `buffer` as lent: `giveBack(buffer)` will call `release` (once). */
export function lend<T extends Uint8Array>(buffer: T, release: () => void): T {
  lenders.set(buffer, release);
  return buffer;
}

/**
 * Hands a lent buffer back: its memory may be overwritten at once, so call it only when
 * nothing (no view, no pending write) still needs the bytes. Other buffers are left alone.
 * @returns whether `buffer` was lent.
 */
export function giveBack(buffer: Uint8Array): boolean {
  const release = lenders.get(buffer);
  if (!release) return false;
  lenders.delete(buffer);
  release();
  return true;
}

/**
 * Also calls `then` once `buffer` is handed back (after its own release), so that whoever lent
 * it out further can count it back in.
 * @returns whether `buffer` is lent (when not, `then` is never called).
 */
export function whenGivenBack(buffer: Uint8Array, then: () => void): boolean {
  const release = lenders.get(buffer);
  if (!release) return false;
  lenders.set(buffer, () => {
    release();
    then();
  });
  return true;
}
