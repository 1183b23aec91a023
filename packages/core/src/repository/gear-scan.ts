/**
 * The public gear table: 256 pseudo-random 32-bit words from a fixed seed (splitmix32), so that
 * boundaries never change between versions or machines; for writers without encryption (an
 * encrypted writer cuts with its data key's own table, `DataKey.chunkerGear`). Int32 keeps the
 * hot loop in small-integer arithmetic.
 */
export const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  let state = 0x9e3779b9 | 0;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Second return value of {@link gearScan} (a module variable avoids allocating a result per call). */
let scanHash = 0;

/** The gear hash after the bytes the last {@link gearScan} call looked at. */
export function lastGearScanHash(): number {
  return scanHash;
}

/**
 * The JavaScript boundary scan, the reference for the WebAssembly one (gear-scan-wasm.ts) and
 * the fallback where that cannot run: rolls the gear hash over `buf[i, end)` and returns the
 * index just past the first position where `(hash & mask) === 0`, or -1; the hash is left for
 * {@link lastGearScanHash}.
 * Reads aligned 32-bit words (`words` views the same memory from offset 0) where it can: one
 * bounds-checked load per 4 bytes. Byte order is fixed to little-endian so boundaries are the
 * same on every machine.
 */
export function gearScan(
  buf: Uint8Array,
  words: Uint32Array,
  i: number,
  end: number,
  h: number,
  mask: number,
  g: Int32Array = GEAR,
): number {
  while (i < end && (i & 3) !== 0) {
    h = ((h << 1) + g[buf[i]!]!) | 0;
    i++;
    if ((h & mask) === 0) {
      scanHash = h;
      return i;
    }
  }
  const wordEnd = LITTLE_ENDIAN ? end >>> 2 : 0;
  for (let j = i >>> 2; j < wordEnd; j++) {
    const w = words[j]!;
    h = ((h << 1) + g[w & 255]!) | 0;
    if ((h & mask) === 0) {
      scanHash = h;
      return j * 4 + 1;
    }
    h = ((h << 1) + g[(w >>> 8) & 255]!) | 0;
    if ((h & mask) === 0) {
      scanHash = h;
      return j * 4 + 2;
    }
    h = ((h << 1) + g[(w >>> 16) & 255]!) | 0;
    if ((h & mask) === 0) {
      scanHash = h;
      return j * 4 + 3;
    }
    h = ((h << 1) + g[w >>> 24]!) | 0;
    if ((h & mask) === 0) {
      scanHash = h;
      return j * 4 + 4;
    }
  }
  if (LITTLE_ENDIAN && wordEnd * 4 > i) i = wordEnd * 4;
  while (i < end) {
    h = ((h << 1) + g[buf[i]!]!) | 0;
    i++;
    if ((h & mask) === 0) {
      scanHash = h;
      return i;
    }
  }
  scanHash = h;
  return -1;
}
