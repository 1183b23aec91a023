import { CHUNK_ID } from './layout.js';

/** Where a chunk's stored bytes (its blob) lie: a byte range of a pack file. */
export interface BlobLocation {
  /** The pack's name (64 hex). */
  pack: string;
  offset: number;
  /** Stored bytes of the blob. */
  length: number;
  /** Plaintext bytes of the chunk. */
  size: number;
}

/** id (32 bytes) + pack number, offset, length, size (4 × u32). */
const RECORD_BYTES = 48;
/** Open addressing: the table keeps at least twice as many slots as records. */
const MIN_SLOTS = 1024;

/**
 * Chunk id → blob location, in compact memory: a 48-byte record per chunk plus two 4-byte
 * table slots, ~56 bytes a chunk (a Map of strings to objects costs ~250). A 1 TiB repository
 * of 1 MiB chunks (about a million) takes ~56 MiB; pack names are kept once each.
 * The first location added for an id wins (a chunk two writers stored lives in two packs).
 */
export class ChunkIndex {
  #records = Buffer.alloc(0);
  #count = 0;
  /** Record number + 1 per slot, 0 = empty; slot from the id's first 4 bytes (ids are uniform). */
  #slots = new Uint32Array(MIN_SLOTS);
  readonly #packs: string[] = [];
  readonly #packNumbers = new Map<string, number>();

  get size(): number {
    return this.#count;
  }

  /** Approximate bytes this index holds in memory. */
  get memoryBytes(): number {
    return this.#records.length + this.#slots.byteLength + this.#packs.length * 120;
  }

  /** Adds a location; returns false (and keeps the first) when the id is indexed already. */
  add(id: string, location: BlobLocation): boolean {
    const key = Buffer.from(id, 'hex');
    if (this.#find(key) >= 0) return false;
    if ((this.#count + 1) * RECORD_BYTES > this.#records.length) this.#growRecords();
    if ((this.#count + 1) * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    let pack = this.#packNumbers.get(location.pack);
    if (pack === undefined) {
      pack = this.#packs.length;
      this.#packs.push(location.pack);
      this.#packNumbers.set(location.pack, pack);
    }
    const at = this.#count * RECORD_BYTES;
    key.copy(this.#records, at);
    this.#records.writeUInt32LE(pack, at + 32);
    this.#records.writeUInt32LE(location.offset, at + 36);
    this.#records.writeUInt32LE(location.length, at + 40);
    this.#records.writeUInt32LE(location.size, at + 44);
    this.#place(key, this.#count);
    this.#count++;
    return true;
  }

  /** Undefined for an id not indexed, or not an id at all. */
  get(id: string): BlobLocation | undefined {
    if (!CHUNK_ID.test(id)) return undefined;
    const record = this.#find(Buffer.from(id, 'hex'));
    return record < 0 ? undefined : this.#location(record);
  }

  has(id: string): boolean {
    return CHUNK_ID.test(id) && this.#find(Buffer.from(id, 'hex')) >= 0;
  }

  *entries(): IterableIterator<[string, BlobLocation]> {
    for (let record = 0; record < this.#count; record++) {
      const at = record * RECORD_BYTES;
      yield [this.#records.toString('hex', at, at + 32), this.#location(record)];
    }
  }

  #location(record: number): BlobLocation {
    const at = record * RECORD_BYTES;
    return {
      pack: this.#packs[this.#records.readUInt32LE(at + 32)]!,
      offset: this.#records.readUInt32LE(at + 36),
      length: this.#records.readUInt32LE(at + 40),
      size: this.#records.readUInt32LE(at + 44),
    };
  }

  #find(key: Buffer): number {
    const mask = this.#slots.length - 1;
    for (let slot = key.readUInt32LE(0) & mask; ; slot = (slot + 1) & mask) {
      const value = this.#slots[slot]!;
      if (value === 0) return -1;
      const at = (value - 1) * RECORD_BYTES;
      if (key.compare(this.#records, at, at + 32) === 0) return value - 1;
    }
  }

  #place(key: Uint8Array, record: number): void {
    const mask = this.#slots.length - 1;
    let slot = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) & mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = record + 1;
  }

  #growRecords(): void {
    const grown = Buffer.alloc(Math.max(RECORD_BYTES * 1024, this.#records.length * 2));
    this.#records.copy(grown, 0, 0, this.#count * RECORD_BYTES);
    this.#records = grown;
  }

  #rehash(slots: number): void {
    this.#slots = new Uint32Array(slots);
    for (let record = 0; record < this.#count; record++) {
      const at = record * RECORD_BYTES;
      this.#place(this.#records.subarray(at, at + 4), record);
    }
  }
}
