import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { BackupError } from '../errors.js';
import { COMPRESSION_LEVELS } from './compression-levels.js';
import type { CompressionAlgorithm } from './manifest.js';
import { ZstdCompressor, ZstdDecompressor } from './zstd.js';

export interface CompressionSetting {
  algorithm: CompressionAlgorithm;
  /** gzip 1–9 (default 6), brotli quality 0–11 (default 4), zstd 1–19 (default 1). */
  level?: number;
}

// Bounds and defaults live in compression-levels.ts, shared with job validation.
const LEVELS: Readonly<Record<CompressionAlgorithm, { min: number; max: number; default: number }>> = {
  none: { min: 0, max: 0, default: 0 },
  ...COMPRESSION_LEVELS,
};

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const brotliCompress = promisify(zlib.brotliCompress);
const brotliDecompress = promisify(zlib.brotliDecompress);

// One context each for this thread, created on first zstd use (zstd-napi is optional).
let zstdCompressor: ZstdCompressor | null = null;
let zstdDecompressor: ZstdDecompressor | null = null;

/**
 * Fills in the default level and checks bounds.
 * @throws BackupError `invalid_backup_config` for an unknown algorithm or a level out of range.
 */
export function normalizeCompression(setting: CompressionSetting): Required<CompressionSetting> {
  const bounds = LEVELS[setting.algorithm];
  if (!bounds) {
    throw new BackupError(
      'invalid_backup_config',
      `Unknown compression algorithm "${String(setting.algorithm)}"`,
      {
        details: { field: 'compression' },
      },
    );
  }
  const level = setting.level ?? bounds.default;
  if (!Number.isInteger(level) || level < bounds.min || level > bounds.max) {
    throw new BackupError(
      'invalid_backup_config',
      `Compression level for ${setting.algorithm} must be an integer from ${bounds.min} to ${bounds.max}`,
      { details: { field: 'compression_level', algorithm: setting.algorithm, level } },
    );
  }
  return { algorithm: setting.algorithm, level };
}

/**
 * Compresses one chunk. gzip and brotli run on the libuv threadpool (async zlib); zstd-napi
 * is synchronous but several times faster than either.
 * @throws BackupError `not_implemented` for zstd when zstd-napi is not installed.
 */
export async function compressBuffer(
  data: Uint8Array,
  setting: Required<CompressionSetting>,
): Promise<Buffer> {
  switch (setting.algorithm) {
    case 'none':
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 'gzip':
      return gzip(data, { level: setting.level });
    case 'brotli':
      return brotliCompress(data, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: setting.level,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.byteLength,
        },
      });
    case 'zstd':
      zstdCompressor ??= new ZstdCompressor();
      return zstdCompressor.compressToNew(data, setting.level);
  }
}

/**
 * Reverses {@link compressBuffer}. `maxOutput` bounds the result (a decompression bomb in a
 * tampered object fails instead of exhausting memory).
 * @throws BackupError `integrity_error` when the data does not decompress; `not_implemented`
 *   for zstd when zstd-napi is not installed.
 */
export async function decompressBuffer(
  data: Uint8Array,
  algorithm: CompressionAlgorithm,
  maxOutput: number,
): Promise<Buffer> {
  // Loaded outside the try: a missing module is not damaged data.
  if (algorithm === 'zstd') zstdDecompressor ??= new ZstdDecompressor();
  try {
    let out: Buffer;
    switch (algorithm) {
      case 'none':
        out = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        break;
      case 'gzip':
        out = await gunzip(data, { maxOutputLength: maxOutput });
        break;
      case 'brotli':
        out = await brotliDecompress(data, { maxOutputLength: maxOutput });
        break;
      case 'zstd':
        out = zstdDecompressor!.decompress(data, maxOutput);
        break;
    }
    if (out.length > maxOutput) throw new RangeError('decompressed data exceeds the limit');
    return out;
  } catch (error) {
    throw new BackupError('integrity_error', `Stored data does not decompress (${algorithm})`, {
      cause: error,
    });
  }
}
