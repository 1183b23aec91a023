import { GEAR } from './gear-scan.js';
// Assembled from gear-scan.wat on install and before each build (build/assemble-wasm.mjs).
import { GEAR_SCAN_WASM } from './gear-scan-wasm-bytes.generated.js';

/** The parts of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: {
    initial: number;
    maximum: number;
    shared: boolean;
  }) => { buffer: ArrayBufferLike };
}
type ScanFunction = (p: number, end: number, h: number, mask: number, gear: number) => number;

const PAGE_BYTES = 65536;
const GEAR_BYTES = GEAR.length * 4;
/** The module compares addresses as signed integers: keep them below 2^31. */
const MAX_MEMORY_BYTES = 2 ** 31 - PAGE_BYTES;

let compiled: object | null | undefined;
function gearScanModule(api: WasmApi): object | null {
  if (compiled === undefined) {
    try {
      compiled = new api.Module(GEAR_SCAN_WASM);
    } catch {
      compiled = null; // e.g. node --jitless
    }
  }
  return compiled;
}

/**
 * Shared memory with the WebAssembly gear scan over it. The caller's bytes (chunk buffers)
 * take `[0, dataBytes)` and the scan runs over them in place; the gear table lives after them.
 */
export class WasmGearScanner {
  /** The whole memory; being shared, worker threads may read it in place. */
  readonly memory: SharedArrayBuffer;
  readonly #scan: ScanFunction;
  readonly #hash: { value: number };
  readonly #gear: number;

  /** Null where WebAssembly or a shared memory of that size is unavailable (use {@link gearScan}). */
  static create(dataBytes: number): WasmGearScanner | null {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    const gear = Math.ceil(dataBytes / 8) * 8;
    const pages = Math.ceil((gear + GEAR_BYTES) / PAGE_BYTES);
    if (!api || pages * PAGE_BYTES > MAX_MEMORY_BYTES) return null;
    const module = gearScanModule(api);
    if (!module) return null;
    try {
      const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
      const { exports } = new api.Instance(module, { env: { memory } });
      return new WasmGearScanner(memory.buffer as SharedArrayBuffer, exports, gear);
    } catch {
      return null; // out of address space for the memory
    }
  }

  private constructor(memory: SharedArrayBuffer, exports: Record<string, unknown>, gear: number) {
    this.memory = memory;
    this.#scan = exports.scan as ScanFunction;
    this.#hash = exports.hash as { value: number };
    this.#gear = gear;
    this.useGear(GEAR);
  }

  /**
   * The gear table scans use from now on. A scanner (its memory) serves one run at a time, and
   * every cutter of a run cuts with the same table, so setting it per cutter is safe.
   */
  useGear(table: Int32Array): void {
    new Int32Array(this.memory, this.#gear, GEAR.length).set(table);
  }

  /**
   * {@link gearScan} over the memory's bytes at `[start, end)` (offsets in the memory): the offset
   * just past the first cut, or -1; the hash after the last byte looked at is then {@link hash}.
   */
  scan(start: number, end: number, h: number, mask: number): number {
    return this.#scan(start, end, h, mask, this.#gear);
  }

  get hash(): number {
    return this.#hash.value;
  }
}
