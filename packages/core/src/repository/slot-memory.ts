import { WasmGearScanner } from './gear-scan-wasm.js';

/** Idle slot memory is kept this long for the next run, then left to the collector. */
export const SLOT_MEMORY_IDLE_MS = 30_000;

/**
 * The least a slot memory holds: 16 slots for a chunk's stored bytes and plaintext at the
 * default 4 MiB maximum chunk size (what two decoder workers use), so that a backup's chunk
 * slots and a restore's decoding slots can be the same memory. Only the pages a run touches
 * become resident.
 */
const MIN_SLOT_MEMORY_BYTES = 16 * (8 * 1024 * 1024 + 64 * 1024);

/**
 * Shared memory that runs cut into slots (a backup's chunk buffers, a reader's decoding slots):
 * a shared WebAssembly memory where it can be, so the chunker's boundary scan runs over it in
 * place, else a plain SharedArrayBuffer.
 */
export interface SlotMemory {
  readonly memory: SharedArrayBuffer;
  /** Bytes usable for slots, from offset 0. */
  readonly bytes: number;
  /** The boundary scan over {@link memory}; null where WebAssembly is unavailable. */
  readonly scanner: WasmGearScanner | null;
}

let idle: { slots: SlotMemory; timer: NodeJS.Timeout } | null = null;

/**
 * Memory for at least `bytes` of slots: the one the last run gave back when it is large enough
 * (and has the scan, if `scan` asks for it), else a new one.
 *
 * Why one memory, reused: a run's slots are tens of MiB of resident memory. Allocated afresh
 * per run, the last run's slots stayed resident (until a full garbage collection, in every
 * thread that had seen them: an idle heap may not run one for a long time) while the next run
 * touched new ones, so a long-lived process peaked higher on every run that followed another.
 * Taking the same memory, backups, verifications and restores reuse the pages already resident.
 */
export function takeSlotMemory(bytes: number, scan = true): SlotMemory {
  const current = idle?.slots;
  if (current && current.bytes >= bytes && (!scan || current.scanner !== null)) {
    clearTimeout(idle!.timer);
    idle = null;
    return current;
  }
  const size = Math.ceil(Math.max(bytes, MIN_SLOT_MEMORY_BYTES) / 8) * 8;
  const scanner = scan ? WasmGearScanner.create(size) : null;
  return { memory: scanner?.memory ?? new SharedArrayBuffer(size), bytes: size, scanner };
}

/**
 * Gives memory from {@link takeSlotMemory} back for the next run. Only memory nothing reads or
 * writes any more (no slot lent out, no worker still busy in it) may be given back. One memory
 * is kept (the larger one); it is let go after {@link SLOT_MEMORY_IDLE_MS} without a taker.
 */
export function giveBackSlotMemory(slots: SlotMemory): void {
  if (idle && idle.slots.bytes >= slots.bytes) return; // the kept one serves as well
  if (idle) clearTimeout(idle.timer);
  const timer = setTimeout(() => {
    if (idle?.slots === slots) idle = null;
  }, SLOT_MEMORY_IDLE_MS);
  timer.unref();
  idle = { slots, timer };
}
