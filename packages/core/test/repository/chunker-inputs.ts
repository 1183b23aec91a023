/** Seeded inputs for the chunker tests: the same bytes on every run and machine. */

/** `bytes` pseudo-random bytes from `seed` (xorshift32). */
export function seededBytes(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed | 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/** COPY-like text: tab-separated rows of ids, words, numbers and dates, compressible but not repetitive. */
export function seededCopyText(bytes: number, seed: number): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const rows: string[] = [];
  let size = 0;
  let x = seed >>> 0;
  for (let id = 1; size < bytes; id++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const row = `${id}\t${words[x % 8]} ${words[(x >>> 8) % 8]}\t${x}\t2026-11-${(x % 28) + 1}\t\\N\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, bytes);
}

/** Splits `data` into pieces of the given sizes (cycled), as a stream would deliver it. */
export function pieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const n = sizes[i++ % sizes.length]!;
    out.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}
