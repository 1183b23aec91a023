import { createHash } from 'node:crypto';
import { BackupError, isBackupError } from '../errors.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import { BlobFetcher } from './blob-fetcher.js';
import { BlobSequence } from './blob-sequence.js';
import { decodeObject, parseObjectHeader } from './chunk-codec.js';
import { type ChunkDecoder, type ChunkReader, createWorkerDecoder } from './chunk-decoder.js';
import { type DataKey, hmacChunkId } from './data-key.js';
import type { LoadedIndex } from './index-loader.js';

/** Upper bound on a chunk's plaintext (a tampered object cannot exhaust memory). */
export const MAX_CHUNK_PLAINTEXT = 64 * 1024 * 1024;

/** What reading chunks needs of a repository. */
export interface ChunkSource {
  readonly driver: StorageDriver;
  /** The repository's largest chunk: sizes the decoding slots. */
  readonly maxChunkSize: number;
  loadIndex(options?: DriverCallOptions): Promise<LoadedIndex>;
  /** A chunk's stored bytes, in memory of its own (see `Repository.readStoredChunk`). */
  readStoredChunk(id: string, options: DriverCallOptions & { fetcher?: BlobFetcher }): Promise<Buffer>;
  resolveKey(dataKeyId: string): Promise<DataKey>;
}

/** The associated data a chunk's stored bytes are bound to. */
export function chunkAad(id: string): Buffer {
  return Buffer.from(`backupkit:chunk:${id}`, 'utf8');
}

/**
 * Authenticates and decompresses a chunk's stored bytes on the calling thread, then re-checks
 * its id against the plaintext.
 * @throws BackupError `integrity_error` naming the chunk, key errors.
 */
export async function decodeChunk(
  id: string,
  stored: Buffer,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
): Promise<Buffer> {
  const details = { chunk_id: id };
  const plaintext = await decodeObject(stored, {
    aad: chunkAad(id),
    resolveKey,
    maxPlaintext: MAX_CHUNK_PLAINTEXT,
    label: `Chunk ${id}`,
    details,
  });
  const { dataKeyId } = parseObjectHeader(stored, `Chunk ${id}`, details);
  const actual = dataKeyId
    ? hmacChunkId(await resolveKey(dataKeyId), plaintext)
    : createHash('sha256').update(plaintext).digest('hex');
  if (actual !== id) {
    throw new BackupError('integrity_error', `Chunk ${id} does not match its content`, { details });
  }
  return plaintext;
}

/**
 * A reader of verified chunk plaintext: decryption, decompression and the id check in `workers`
 * worker threads (0 = on the calling thread); blobs read by range, neighbours coalesced, and
 * sequences (an entry's chunks) read in spans.
 */
export function createChunkReader(source: ChunkSource, workers: number): ChunkReader {
  const fetcher = new BlobFetcher(source.driver);
  // A slot holds a chunk's plaintext: sized from this repository's largest chunk, up to 16 MiB
  // chunks (larger ones, in repositories configured so, get buffers of their own). The same
  // slot size as a backup's chunk buffers: both lie in the process's one slot memory, and
  // the same geometry makes them touch the same pages.
  const decoder =
    workers === 0
      ? null
      : createWorkerDecoder(workers, MAX_CHUNK_PLAINTEXT, {
          slotBytes: Math.min(source.maxChunkSize, 16 * 1024 * 1024) + 64,
        });
  // Stored bytes are memory of their own: the decoder hands them to its worker rather than copying.
  const decode = (id: string, stored: Buffer, size?: number) =>
    decoder
      ? decodeInWorker(decoder, id, stored, (dataKeyId) => source.resolveKey(dataKeyId), size)
      : decodeChunk(id, stored, (dataKeyId) => source.resolveKey(dataKeyId));
  const read = (id: string, signal?: AbortSignal) =>
    source.readStoredChunk(id, { ...(signal ? { signal } : {}), fetcher });
  return {
    getChunk: async (id, o = {}) => decode(id, await read(id, o.signal), o.size),
    sequence: (ids, o = {}) => {
      const sequence = source.loadIndex(o.signal ? { signal: o.signal } : {}).then(
        (loaded) =>
          new BlobSequence(
            source.driver,
            ids.map((id) => loaded.chunks.get(id)),
            (index) => read(ids[index]!, o.signal),
            o.signal,
          ),
      );
      sequence.catch(() => {}); // surfaces through get()
      return { get: async (index, size) => decode(ids[index]!, await (await sequence).get(index), size) };
    },
    close: async () => decoder?.close(),
  };
}

async function decodeInWorker(
  decoder: ChunkDecoder,
  id: string,
  stored: Buffer,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
  size?: number,
): Promise<Buffer> {
  const label = `Chunk ${id}`;
  const header = parseObjectHeader(stored, label, { chunk_id: id });
  let key: DataKey | null = null;
  if (header.encrypted) {
    try {
      key = await resolveKey(header.dataKeyId!);
    } catch (error) {
      if (isBackupError(error, 'integrity_error')) {
        throw new BackupError('integrity_error', `${label} names a data key the repository does not have`, {
          details: { chunk_id: id, data_key_id: header.dataKeyId },
        });
      }
      throw error;
    }
  }
  return decoder.decode(stored, chunkAad(id), id, key, label, true, size);
}
