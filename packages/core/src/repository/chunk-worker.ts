import { HEADER_BYTES, OBJECT_FORMAT_VERSION, OBJECT_MAGIC } from './chunk-codec.js';
import { CHUNK_DECODER_WORKER_SOURCE } from './chunk-decoder-worker.js';
import { CHUNK_ENCODER_WORKER_SOURCE } from './chunk-encoder-worker.js';
import { COMPRESSION_IDS } from './compression.js';
import { SharedWorkerPool } from './shared-workers.js';
import { zstdModulePath } from './zstd-module.js';

/**
 * One worker body for both halves: backup runs' messages (with `run`) go to the encoder, chunk
 * readers' (with `reader`) to the decoder. One kind of worker means a backup's verification,
 * a restore after a backup and the next backup all run on the same threads, instead of a set
 * of idle threads of the other kind sitting beside them (each ~13 MiB resident, measured).
 */
const CHUNK_WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
${CHUNK_ENCODER_WORKER_SOURCE}
${CHUNK_DECODER_WORKER_SOURCE}
parentPort.on('message', (m) => (m.reader !== undefined ? handleDecoderMessage(m) : handleEncoderMessage(m)));
`;

/** zstd-napi's entry for the workers, which load it on the first zstd chunk; null when not installed. */
function zstdPath(): string | null {
  try {
    return zstdModulePath();
  } catch {
    return null; // only zstd chunks need it: they fail with the package's name
  }
}

let pool: SharedWorkerPool | null = null;

/** The process's chunk workers (started on first use, shared by every run: see shared-workers.ts). */
export function chunkWorkers(): SharedWorkerPool {
  pool ??= new SharedWorkerPool('chunk', CHUNK_WORKER_SOURCE, {
    headerBytes: HEADER_BYTES,
    magic: [...OBJECT_MAGIC],
    version: OBJECT_FORMAT_VERSION,
    ids: COMPRESSION_IDS,
    names: ['none', 'gzip', 'brotli', 'zstd'],
    zstdPath: zstdPath(),
  });
  return pool;
}
