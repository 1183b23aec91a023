import { createHash, createHmac } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { releaseNow } from '../util/release-memory.js';
import type { DecoderMessage, DecoderReply } from './chunk-worker-protocol.js';
import type { CompressionAlgorithm } from './manifest.js';
import { ObjectDamage, openObject, readObjectHeader } from './object-format.js';
import { ZstdDecompressor } from './zstd.js';

// The decoder half of a chunk worker (see chunk-worker-main.ts): it accepts exactly what
// `decodeObject` accepts (both open objects with object-format.ts) and re-checks the chunk id
// like `Repository.getChunk`.

interface AttachedReader {
  memory: SharedArrayBuffer;
  slotBytes: number;
  maxPlaintext: number;
  keys: Map<string, { encryptionKey: Buffer; idKey: Buffer }>;
}

/** zstd-napi is not installed or does not load (reported with the package's name). */
class MissingModuleError extends Error {}

/** A handler for one worker's decoder messages, replying on `port`. */
export function createDecoderHandler(port: MessagePort): (message: DecoderMessage) => void {
  const readers = new Map<number, AttachedReader>();
  // One decompression context per worker, reused; created on the first zstd chunk.
  let zstd: ZstdDecompressor | null = null;

  /** The plaintext: in `out` (a view of its front) when given and it fits there, else its own buffer. */
  const decompress = (body: Buffer, algorithm: CompressionAlgorithm, max: number, out?: Buffer): Buffer => {
    if (algorithm === 'zstd' && !zstd) {
      // Outside the try below: a missing module is not damaged data.
      try {
        zstd = new ZstdDecompressor();
      } catch (error) {
        throw new MissingModuleError(error instanceof Error ? error.message : String(error));
      }
    }
    try {
      switch (algorithm) {
        case 'none':
          return body;
        case 'gzip':
          return zlib.gunzipSync(body, { maxOutputLength: max });
        case 'brotli':
          return zlib.brotliDecompressSync(body, { maxOutputLength: max });
        case 'zstd':
          return zstd!.decompress(body, max, out);
      }
    } catch {
      throw new ObjectDamage('does not decompress');
    }
  };

  const decode = (reader: AttachedReader, m: Extract<DecoderMessage, { op: 'decode' }>, out?: Buffer) => {
    // `stored` was transferred: this thread's to decrypt in place.
    const stored = Buffer.from(m.stored.buffer, m.stored.byteOffset, m.stored.byteLength);
    const header = readObjectHeader(stored);
    const key = m.dataKeyId === null ? null : reader.keys.get(m.dataKeyId);
    if (key === undefined) throw new Error('data key not registered');
    if (header.encrypted !== (key !== null)) throw new ObjectDamage('has an invalid header');
    const body = openObject(stored, header, key, Buffer.from(m.aad), true);
    const plaintext = decompress(body, header.compression, reader.maxPlaintext, out);
    if (plaintext.length > reader.maxPlaintext) throw new ObjectDamage('does not decompress');
    const id = key
      ? createHmac('sha256', key.idKey).update(plaintext).digest('hex')
      : createHash('sha256').update(plaintext).digest('hex');
    if (id !== m.chunkId) throw new ObjectDamage('does not match its content');
    return { plaintext, stored };
  };

  const reply = (message: DecoderReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  /** Replies with `plaintext` transferred: itself when it owns its memory whole, else a copy. */
  const replyWithPlaintext = (seq: number, plaintext: Buffer) => {
    const own =
      plaintext.buffer instanceof ArrayBuffer &&
      plaintext.byteOffset === 0 &&
      plaintext.byteLength === plaintext.buffer.byteLength;
    const out = own ? plaintext : new Uint8Array(plaintext);
    reply({ seq, plaintext: out }, [out.buffer as ArrayBuffer]);
  };

  const decodeMessage = (m: Extract<DecoderMessage, { op: 'decode' }>) => {
    const reader = readers.get(m.reader);
    if (!reader) throw new Error(`unknown reader ${m.reader}`);
    const front = (m.slot ?? 0) * reader.slotBytes;
    const out = m.slot === undefined ? undefined : Buffer.from(reader.memory, front, reader.slotBytes);
    const { plaintext, stored } = decode(reader, m, out);
    if (out && plaintext.buffer === reader.memory && plaintext.byteOffset === front) {
      reply({ seq: m.seq, length: plaintext.length });
    } else if (out && plaintext.length <= out.length) {
      out.set(plaintext);
      reply({ seq: m.seq, length: plaintext.length });
      releaseNow(plaintext);
    } else {
      replyWithPlaintext(m.seq, plaintext);
    }
    // Done with (a plaintext that was a view of it went out as a copy): freed now, not left to
    // this thread's collector.
    releaseNow(stored);
  };

  return (m) => {
    try {
      switch (m.op) {
        case 'attach':
          readers.set(m.reader, {
            memory: m.memory,
            slotBytes: m.slotBytes,
            maxPlaintext: m.maxPlaintext,
            keys: new Map(),
          });
          return;
        case 'key':
          readers.get(m.reader)?.keys.set(m.id, {
            encryptionKey: Buffer.from(m.encryptionKey),
            idKey: Buffer.from(m.idKey),
          });
          return;
        case 'detach':
          readers.delete(m.reader);
          reply({ seq: m.seq });
          return;
        case 'decode':
          decodeMessage(m);
          return;
      }
    } catch (error) {
      if ('seq' in m) {
        reply({
          seq: m.seq,
          error: error instanceof Error ? error.message : String(error),
          integrity: error instanceof ObjectDamage,
          missing: error instanceof MissingModuleError ? 'zstd-napi' : undefined,
        });
      }
    }
  };
}
