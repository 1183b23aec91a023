import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type KeyProvider, LocalStorageDriver, packKey, Repository } from '@backupkit/core';

/** Where a chunk's blob lies in a local repository: its pack file and byte range. */
export interface BlobOnDisk {
  file: string;
  offset: number;
  length: number;
}

/** Finds a chunk's blob through the repository's index (as a reader would). */
export async function blobOnDisk(
  root: string,
  chunkId: string,
  keyProvider?: KeyProvider,
): Promise<BlobOnDisk> {
  const repository = await Repository.open(new LocalStorageDriver({ root }), {
    ...(keyProvider ? { keyProvider } : {}),
    create: false,
  });
  const location = await repository.locateChunk(chunkId);
  if (!location) throw new Error(`chunk ${chunkId} is in no pack of ${root}`);
  return { file: path.join(root, packKey(location.pack)), offset: location.offset, length: location.length };
}

/** Flips one bit of a chunk's stored bytes, `at` bytes into its blob (default: the middle). */
export async function flipBlobByte(
  root: string,
  chunkId: string,
  options: { keyProvider?: KeyProvider; at?: number } = {},
): Promise<BlobOnDisk> {
  const blob = await blobOnDisk(root, chunkId, options.keyProvider);
  const bytes = await readFile(blob.file);
  bytes[blob.offset + (options.at ?? Math.floor(blob.length / 2))]! ^= 0x40;
  await writeFile(blob.file, bytes);
  return blob;
}

/** Deletes the pack holding a chunk (and with it every chunk of that pack). */
export async function deletePackOf(
  root: string,
  chunkId: string,
  keyProvider?: KeyProvider,
): Promise<string> {
  const blob = await blobOnDisk(root, chunkId, keyProvider);
  await rm(blob.file);
  return blob.file;
}

/** The ids of every chunk a local repository's packs hold (read through its index). */
export async function storedChunkIds(root: string, keyProvider?: KeyProvider): Promise<Set<string>> {
  const repository = await Repository.open(new LocalStorageDriver({ root }), {
    ...(keyProvider ? { keyProvider } : {}),
    create: false,
  });
  const loaded = await repository.loadIndex();
  if (loaded.unreadable.length > 0) throw new Error(`${root}: ${loaded.unreadable[0]!.error.message}`);
  const ids = new Set<string>();
  for (const [id] of loaded.chunks.entries()) ids.add(id);
  return ids;
}

/**
 * Swaps two chunks' stored bytes in place, inside their packs (the index is untouched, so each
 * id now locates the other's blob). The blobs must be of equal length.
 */
export async function swapBlobs(
  root: string,
  a: string,
  b: string,
  keyProvider?: KeyProvider,
): Promise<[BlobOnDisk, BlobOnDisk]> {
  const [blobA, blobB] = [await blobOnDisk(root, a, keyProvider), await blobOnDisk(root, b, keyProvider)];
  if (blobA.length !== blobB.length) {
    throw new Error(`chunks ${a} and ${b} are stored with ${blobA.length} and ${blobB.length} bytes`);
  }
  const fileA = await readFile(blobA.file);
  const fileB = blobB.file === blobA.file ? fileA : await readFile(blobB.file);
  const bytesA = Buffer.from(fileA.subarray(blobA.offset, blobA.offset + blobA.length));
  fileB.copy(fileA, blobA.offset, blobB.offset, blobB.offset + blobB.length);
  bytesA.copy(fileB, blobB.offset);
  await writeFile(blobA.file, fileA);
  if (fileB !== fileA) await writeFile(blobB.file, fileB);
  return [blobA, blobB];
}

/**
 * Stores other bytes for some chunks, as a writer that stored them so would have: each pack
 * holding one of them is written again (its blobs in order, sealed under the same key, the
 * header listing the new lengths) with `replacements.get(id)` for those chunks' stored bytes
 * (null: the chunk is left out), and the old pack is deleted. The index objects name the old
 * pack, which is gone, so readers place the pack's chunks through the new pack's header. Handles
 * open on the repository must forget their index to see it. Returns a function that puts the
 * old packs back (and removes the new ones).
 */
export async function replaceBlobs(
  root: string,
  replacements: ReadonlyMap<string, Uint8Array | null>,
  keyProvider?: KeyProvider,
): Promise<() => Promise<void>> {
  const repository = await Repository.open(new LocalStorageDriver({ root }), {
    ...(keyProvider ? { keyProvider } : {}),
    create: false,
  });
  const loaded = await repository.loadIndex();
  const packs = new Set<string>();
  for (const id of replacements.keys()) {
    const location = loaded.chunks.get(id);
    if (!location) throw new Error(`chunk ${id} is in no pack of ${root}`);
    packs.add(location.pack);
  }
  const originals = new Map<string, Buffer>();
  const written: string[] = [];
  for (const pack of packs) {
    const file = path.join(root, packKey(pack));
    const bytes = await readFile(file);
    originals.set(file, bytes);
    const blobs = [...loaded.chunks.entries()]
      .filter(([, location]) => location.pack === pack)
      .sort(([, x], [, y]) => x.offset - y.offset);
    const writer = await repository.createPackWriterFor(loaded.packKeys.get(pack) ?? null);
    for (const [id, location] of blobs) {
      const stored = replacements.has(id)
        ? replacements.get(id)
        : bytes.subarray(location.offset, location.offset + location.length);
      if (stored) await writer.add(id, stored, location.size);
    }
    const rewritten = (await writer.finish()).map((p) => path.join(root, packKey(p.name)));
    written.push(...rewritten);
    if (!rewritten.includes(file)) await rm(file);
  }
  return async () => {
    for (const file of written) if (!originals.has(file)) await rm(file, { force: true });
    for (const [file, bytes] of originals) await writeFile(file, bytes);
  };
}
