import { WasmGearScanner } from './gear-scan-wasm.js';
import { giveBackSlotMemory, type SlotMemory, takeSlotMemory } from './slot-memory.js';

/**
 * Chunk buffers for one backup run, as slots of one SharedArrayBuffer that the encoder
 * workers see too. The chunker gathers a chunk in a slot and hands the slot's front out as
 * the chunk; a worker reads it in place (only the slot number crosses threads) and frees the
 * slot once the chunk is encoded or dropped.
 *
 * Why: a fresh buffer per chunk, or a transferred one, counts as new external memory on the
 * receiving thread, and every ~64 MB of that makes V8 run a full garbage collection; fresh
 * multi-megabyte buffers also cost page faults. Slots are allocated once and reused.
 *
 * When every slot is taken, `take` falls back to an ordinary buffer (`slotOf` → -1), which the
 * encoder copies or transfers as before: the pool bounds its own memory, never the run.
 *
 * The memory is a shared WebAssembly memory where it can be, so the chunker's WebAssembly
 * boundary scan ({@link scanner}) runs over the slots in place.
 */
export class ChunkBufferPool {
  /** Bytes of every slot (the chunker's maximum chunk size plus slack; a multiple of 8). */
  readonly slotBytes: number;
  readonly memory: SharedArrayBuffer;
  /** The boundary scan over {@link memory}; null where WebAssembly is unavailable or not wanted. */
  readonly scanner: WasmGearScanner | null;
  readonly #free: number[] = [];
  /** Holders of each slot in use (the chunk's consumer, plus e.g. an entry hash reading it). */
  readonly #holders: Uint16Array;
  /** The process slot memory this pool lies in (see {@link fromSlotMemory}), until {@link retire}. */
  #slotMemory: SlotMemory | null;

  /**
   * `webAssembly: false` keeps the memory a plain SharedArrayBuffer (the chunker then scans in
   * JavaScript); `memory` puts the slots at the front of that memory instead of a new one.
   */
  constructor(
    slotBytes: number,
    slots: number,
    options: { webAssembly?: boolean; memory?: SlotMemory } = {},
  ) {
    this.slotBytes = Math.ceil(slotBytes / 8) * 8;
    const count = Math.max(1, Math.floor(slots));
    const bytes = this.slotBytes * count;
    const given = options.memory && options.memory.bytes >= bytes ? options.memory : null;
    this.#slotMemory = given;
    this.scanner =
      options.webAssembly === false ? null : given ? given.scanner : WasmGearScanner.create(bytes);
    this.memory = given?.memory ?? this.scanner?.memory ?? new SharedArrayBuffer(bytes);
    this.#holders = new Uint16Array(count);
    for (let i = count - 1; i >= 0; i--) this.#free.push(i);
  }

  /**
   * A pool in the process's slot memory (see slot-memory.ts): the memory the last run gave back,
   * when there is one, whose pages are resident already. Hand it back with {@link retire}.
   */
  static fromSlotMemory(slotBytes: number, slots: number): ChunkBufferPool {
    const bytes = Math.ceil(slotBytes / 8) * 8 * Math.max(1, Math.floor(slots));
    return new ChunkBufferPool(slotBytes, slots, { memory: takeSlotMemory(bytes) });
  }

  /**
   * The run is done with the pool, and no worker touches it any more: a pool from {@link fromSlotMemory}
   * gives its memory back for the next run, provided every slot is free (a slot still held may
   * yet be read, so such memory is left to the collector).
   */
  retire(): void {
    const slots = this.#slotMemory;
    this.#slotMemory = null;
    if (slots && this.#free.length === this.#holders.length) giveBackSlotMemory(slots);
  }

  /** A buffer of `slotBytes` (contents undefined), the caller's until its slot is released. */
  take(): Buffer {
    const slot = this.#free.pop();
    if (slot === undefined) return Buffer.allocUnsafeSlow(this.slotBytes);
    this.#holders[slot] = 1;
    return Buffer.from(this.memory, slot * this.slotBytes, this.slotBytes);
  }

  /** The slot `chunk` starts in, or -1 when it is not the front of a slot of this pool. */
  slotOf(chunk: Uint8Array): number {
    if (chunk.buffer !== this.memory || chunk.byteOffset % this.slotBytes !== 0) return -1;
    const slot = chunk.byteOffset / this.slotBytes;
    return slot < this.#holders.length ? slot : -1;
  }

  /** One more holder for a slot in use: it is freed once every holder has released it. */
  retain(slot: number): void {
    if (slot >= 0 && this.#holders[slot]! > 0) this.#holders[slot]!++;
  }

  /** A holder is done with the slot's bytes; the last one frees it. */
  release(slot: number): void {
    if (slot < 0 || this.#holders[slot] === 0) return;
    if (--this.#holders[slot]! === 0) this.#free.push(slot);
  }
}
