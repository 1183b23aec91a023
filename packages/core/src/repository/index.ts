export { ChunkBufferPool } from './chunk-buffer-pool.js';
export * from './chunk-codec.js';
export type { ChunkReader } from './chunk-decoder.js';
export type { ChunkEncoder, PendingChunk } from './chunk-encoder.js';
export type { BlobLocation, ChunkIndex } from './chunk-index.js';
export * from './chunker.js';
export * from './compression.js';
export type { DataKey } from './data-key.js';
export type { IndexContent, IndexedPack } from './index-format.js';
export type { LoadedIndex } from './index-loader.js';
export type { DataKeyRecord, WrapUnderResult } from './key-store.js';
export * from './layout.js';
export type * from './manifest.js';
export {
  COMPRESSION_IDS,
  compressionAlgorithmFromId,
  HEADER_BYTES,
  OBJECT_FORMAT_VERSION,
  OBJECT_MAGIC,
  type ObjectHeader,
} from './object-format.js';
export type { PackBlob, PackContents } from './pack-format.js';
export type { StoredChunkInfo } from './pack-store.js';
export type { PackWriter, WrittenPack } from './pack-writer.js';
export * from './repo-config.js';
export * from './repository.js';
