import { BackupError } from '../errors.js';
import type { EntryPart, ManifestEntry } from '../repository/manifest.js';
import type { SourceEntry } from '../sources/backup-source.js';

/**
 * One stream the backup reads: a whole entry, or one part of an entry read in parts. Parts
 * are read like entries of their own (in parallel, within the run's parallelism), and put
 * back together into one manifest entry once the last of them is in.
 */
export interface ReadWork {
  entry: SourceEntry;
  /** Where the entry goes in the manifest (the source's order). */
  entryIndex: number;
  part?: { index: number; assembly: PartsAssembly };
}

/** The source's entries as streams to read: an entry with parts gives one per part, in order. */
export async function* readWork(entries: AsyncIterable<SourceEntry>): AsyncGenerator<ReadWork> {
  let entryIndex = 0;
  for await (const entry of entries) {
    const index = entryIndex++;
    const parts = entry.parts ?? [];
    if (parts.length === 0) {
      yield { entry, entryIndex: index };
      continue;
    }
    const assembly = new PartsAssembly(entry);
    for (let part = 0; part < parts.length; part++)
      yield { entry, entryIndex: index, part: { index: part, assembly } };
  }
}

/** Collects the parts of one entry as they are read and builds its manifest entry. */
export class PartsAssembly {
  readonly #entry: SourceEntry;
  readonly #read: (ManifestEntry | undefined)[];
  #left: number;

  constructor(entry: SourceEntry) {
    this.#entry = entry;
    this.#read = new Array(entry.parts?.length ?? 0);
    this.#left = this.#read.length;
  }

  /** Part `index` as an entry of its own (no whole-content SHA-256: parts are never one stream). */
  partEntry(index: number): SourceEntry {
    const part = this.#entry.parts![index]!;
    return {
      name: this.#entry.name,
      kind: this.#entry.kind,
      metadata: {},
      estimatedBytes: part.estimatedBytes,
      open: part.open,
      hashContent: false,
      completeMetadata: part.metadata,
    };
  }

  /** Records part `index` as read; returns the whole entry once every part is. */
  add(index: number, read: ManifestEntry): ManifestEntry | null {
    if (this.#read[index] === undefined) this.#left--;
    this.#read[index] = read;
    if (this.#left > 0) return null;
    const reads = this.#read as ManifestEntry[];
    const parts: EntryPart[] = reads.map((r) => ({
      size: r.size,
      chunks: r.chunks.length,
      metadata: r.metadata,
    }));
    return {
      name: this.#entry.name,
      kind: this.#entry.kind,
      size: reads.reduce((sum, r) => sum + r.size, 0),
      chunks: reads.flatMap((r) => r.chunks),
      metadata: { ...this.#entry.metadata, ...(this.#entry.completeMetadata?.() ?? {}) },
      parts,
    };
  }
}

/**
 * Each part of `entry` as an entry of its own: its name, size, sha256-less chunk slice.
 * @throws BackupError `integrity_error` when the parts do not add up to the entry's chunks and size.
 */
export function entryPartSlices(entry: ManifestEntry): ManifestEntry[] {
  const parts = entry.parts ?? [];
  const chunks = parts.reduce((sum, p) => sum + p.chunks, 0);
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (chunks !== entry.chunks.length || size !== entry.size) {
    throw new BackupError(
      'integrity_error',
      `Entry "${entry.name}": its parts hold ${chunks} chunks and ${size} bytes, the entry ${entry.chunks.length} and ${entry.size}`,
      { details: { entry: entry.name } },
    );
  }
  let first = 0;
  return parts.map((part) => {
    const chunks = entry.chunks.slice(first, first + part.chunks);
    first += part.chunks;
    return { name: entry.name, kind: entry.kind, size: part.size, chunks, metadata: part.metadata };
  });
}
