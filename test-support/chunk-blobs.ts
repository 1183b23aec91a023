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
export async function blobOnDisk(root: string, chunkId: string, keyProvider?: KeyProvider): Promise<BlobOnDisk> {
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
export async function deletePackOf(root: string, chunkId: string, keyProvider?: KeyProvider): Promise<string> {
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
