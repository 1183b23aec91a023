import type * as ZstdBinding from 'zstd-napi/binding.js';
import { BackupError } from '../errors.js';
import { missingOptionalModule, requireOptional } from '../util/optional-module.js';

// The one place that talks to zstd-napi, an optional dependency (a native module whose build may
// fail): loaded on first use, so work that does not use zstd runs without it. It uses the
// package's low-level binding (documented as its native API), which compresses into and
// decompresses into buffers the caller owns — what lets the chunk workers reuse their buffers.

/** The zstd-napi releases whose binding this adapter was written and tested against. */
const SUPPORTED = { from: [0, 0, 13], below: [0, 1, 0] } as const;
const FEATURE = 'zstd compression';

let loaded: typeof ZstdBinding | null = null;

/**
 * zstd-napi's binding, loaded and checked on first use.
 * @throws BackupError `not_implemented` naming the package when it is not installed, did not
 *   build, or is a release this adapter does not support.
 */
export function zstdBinding(): typeof ZstdBinding {
  if (loaded) return loaded;
  const version = load<{ version: string }>('zstd-napi/package.json').version;
  if (!supportsZstdNapiVersion(version)) {
    throw new BackupError(
      'not_implemented',
      `${FEATURE} supports zstd-napi ${SUPPORTED.from.join('.')} up to (not including) ` +
        `${SUPPORTED.below.join('.')}, found ${version}: npm install zstd-napi@${SUPPORTED.from.join('.')}`,
      { details: { package: 'zstd-napi', version } },
    );
  }
  const binding = load<typeof ZstdBinding>('zstd-napi/binding.js');
  if (
    typeof binding.CCtx?.prototype.compress2 !== 'function' ||
    typeof binding.DCtx?.prototype.decompress !== 'function' ||
    typeof binding.compressBound !== 'function' ||
    typeof binding.getFrameContentSize !== 'function'
  ) {
    throw missingOptionalModule(
      'zstd-napi',
      FEATURE,
      new Error(`zstd-napi ${version} lacks the expected binding`),
    );
  }
  loaded = binding;
  return binding;
}

/** A file of zstd-napi; failures name the package. */
function load<T>(file: string): T {
  try {
    return requireOptional<T>(file, FEATURE);
  } catch (error) {
    throw missingOptionalModule('zstd-napi', FEATURE, error);
  }
}

/** Whether zstd-napi loads here (and is a supported release). */
export function zstdAvailable(): boolean {
  try {
    zstdBinding();
    return true;
  } catch {
    return false;
  }
}

/** Whether this adapter supports zstd-napi release `version` (exported for its test). */
export function supportsZstdNapiVersion(version: string): boolean {
  const parts = version.split(/[.+-]/, 3).map(Number);
  const compare = (bound: readonly number[]) => {
    for (let i = 0; i < 3; i++) if ((parts[i] ?? 0) !== bound[i]) return (parts[i] ?? 0) - bound[i]!;
    return 0;
  };
  return parts.every(Number.isInteger) && compare(SUPPORTED.from) >= 0 && compare(SUPPORTED.below) < 0;
}

/**
 * A compression context and its output buffer, both reused call after call (a fresh context
 * costs an allocation and table set-up, a fresh output buffer megabytes of churn).
 */
export class ZstdCompressor {
  readonly #binding = zstdBinding();
  readonly #context = new this.#binding.CCtx();
  #level = 0;
  #output: Buffer | null = null;

  /** The compressed bytes: a view of this compressor's buffer, valid until its next call. */
  compress(data: Uint8Array, level: number): Buffer {
    const bound = this.#binding.compressBound(data.length);
    if (!this.#output || this.#output.length < bound) this.#output = Buffer.allocUnsafeSlow(bound);
    return this.#output.subarray(0, this.#compressInto(this.#output, data, level));
  }

  /** The compressed bytes in a buffer of their own (for callers that keep them). */
  compressToNew(data: Uint8Array, level: number): Buffer {
    const output = Buffer.allocUnsafe(this.#binding.compressBound(data.length));
    return output.subarray(0, this.#compressInto(output, data, level));
  }

  #compressInto(output: Buffer, data: Uint8Array, level: number): number {
    if (level !== this.#level) {
      this.#context.setParameter(this.#binding.CParameter.compressionLevel, level);
      this.#level = level;
    }
    return this.#context.compress2(output, data);
  }
}

/** A decompression context, reused call after call. */
export class ZstdDecompressor {
  readonly #binding = zstdBinding();
  readonly #context = new this.#binding.DCtx();

  /**
   * The plaintext of one zstd frame, at most `maxPlaintext` bytes: in `out` (a view of its
   * front) when given and it fits there, else in a buffer of its own.
   * @throws Error when the data does not decompress or exceeds `maxPlaintext`.
   */
  decompress(body: Uint8Array, maxPlaintext: number, out?: Buffer): Buffer {
    // Our frames record their size; one that does not is bounded by the limit instead.
    const size = this.#binding.getFrameContentSize(body) ?? maxPlaintext;
    if (size > maxPlaintext) throw new RangeError('decompressed data exceeds the limit');
    const target = out && out.length >= size ? out : Buffer.allocUnsafeSlow(size);
    const n = this.#context.decompress(target, body);
    return target.subarray(0, n);
  }
}
