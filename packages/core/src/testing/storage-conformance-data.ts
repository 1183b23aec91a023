import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const PIECE = 1024 * 1024;

/**
 * `size` reproducible, incompressible bytes from `seed`, produced piece by piece (an AES-256-CTR
 * keystream), so hundreds of MiB cost no memory to generate.
 */
export function deterministicStream(size: number, seed: string, pieceSize = PIECE): Readable {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const zeros = Buffer.alloc(pieceSize);
  let remaining = size;
  return new Readable({
    read() {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(pieceSize, remaining);
      remaining -= n;
      this.push(cipher.update(n === pieceSize ? zeros : zeros.subarray(0, n)));
    },
  });
}

/** The same bytes as `deterministicStream(size, seed)`, as one buffer (for small sizes). */
export function deterministicBytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size));
}

/** Reads a whole (small) stream into memory. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

/** SHA-256 hex and byte count of a stream, consumed piece by piece. */
export async function hashStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of stream) {
    hash.update(piece);
    size += piece.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Samples the process's resident set size while `work` runs; returns the peak growth over the start. */
export async function measureRssGrowth<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakGrowth: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakGrowth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

/** A stream that emits `prefix` and then stalls until destroyed: an upload that never finishes. */
export function stallingStream(prefix: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(prefix);
      }
    },
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
