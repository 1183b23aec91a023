/**
 * The decoder half of a chunk worker thread (see chunk-worker.ts), as CommonJS source defining
 * \`handleDecoderMessage(m)\`. It must accept exactly what `decodeObject` in chunk-codec.ts
 * accepts and re-check the chunk id like `Repository.getChunk`; the tests run both on the same
 * objects.
 *
 * The workers are shared by every run in the process (see shared-workers.ts): a chunk reader
 * attaches its shared memory and data keys under its id (\`reader\`, in every message) and
 * detaches when it closes.
 *
 *   → { op: 'attach', reader, memory, slotBytes, maxPlaintext }  a reader's slots (no reply)
 *   → { op: 'key', reader, id, encryptionKey, idKey }            register an unwrapped data key
 *   → { op: 'detach', seq, reader }     ← { seq }   forgets the reader's memory and keys; the
 *                                       reply comes after every earlier message's
 *   → { op: 'decode', seq, reader, stored, slot, aad, chunkId, dataKeyId }   (stored transferred)
 *                                       the plaintext is written at the front of slot \`slot\` of
 *                                       the reader's shared memory ← { seq, length }, or, should it
 *                                       not fit there, ← { seq, plaintext } (transferred)
 *   → { op: 'decode', seq, reader, stored, aad, chunkId, dataKeyId }  (stored transferred) ← { seq, plaintext }
 *   ← { seq, error, integrity, missing }                        on any failure (\`missing\`: the
 *                                       name of an optional package the chunk needs, not loadable)
 */
export const CHUNK_DECODER_WORKER_SOURCE = `
const handleDecoderMessage = (() => {
const { headerBytes, names } = workerData;
/** The decipher runs over pieces of this size (see decode). */
const CIPHER_PIECE = 64 * 1024;
/** Attached readers by id: their shared memory, plaintext bound and data keys. */
const readers = new Map();
// One decompression context per worker, reused; created on the first zstd chunk (zstd-napi is
// optional: other algorithms never load it).
let decompressor = null;

class IntegrityError extends Error {}
/** zstd-napi is not installed or does not load (reported with the package's name). */
class MissingModuleError extends Error {}

function loadZstd() {
  if (decompressor) return;
  try {
    decompressor = new (require(workerData.zstdPath).Decompressor)();
  } catch (error) {
    throw new MissingModuleError(String((error && error.message) || error));
  }
}

/** The plaintext: in \`out\` (a view of its front) when given and it fits there, else a buffer of its own. */
function decompress(body, algorithm, out, maxPlaintext) {
  try {
    switch (algorithm) {
      case 'none': return body;
      case 'gzip': return zlib.gunzipSync(body, { maxOutputLength: maxPlaintext });
      case 'brotli': return zlib.brotliDecompressSync(body, { maxOutputLength: maxPlaintext });
      case 'zstd':
        if (out) {
          try {
            return out.subarray(0, decompressor.dctx.decompress(out, body));
          } catch {
            // Too big for \`out\` (or damaged): the allocating path below decides which.
          }
        }
        return decompressor.decompress(body);
    }
  } catch (error) {
    throw new IntegrityError('does not decompress');
  }
  throw new IntegrityError('has an invalid header');
}

function decode(reader, stored, aad, chunkId, dataKeyId, out) {
  const header = stored.subarray(0, headerBytes);
  const algorithm = names[stored[5]];
  let body;
  let key = null;
  if (dataKeyId) {
    key = reader.keys.get(dataKeyId);
    if (!key) throw new Error('data key not registered');
    if (stored.length < headerBytes + 16) throw new IntegrityError('is truncated');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.encryptionKey, stored.subarray(24, 36));
      decipher.setAAD(Buffer.concat([header, aad]));
      decipher.setAuthTag(stored.subarray(stored.length - 16));
      // In place, in pieces (\`stored\` is this thread's: transferred): small output buffers the
      // thread's allocator reuses, instead of one as large as the chunk per chunk.
      const end = stored.length - 16;
      let at = headerBytes;
      for (let i = headerBytes; i < end; i += CIPHER_PIECE) {
        at += decipher.update(stored.subarray(i, Math.min(end, i + CIPHER_PIECE))).copy(stored, at);
      }
      const final = decipher.final();
      body = final.length === 0 ? stored.subarray(headerBytes, at) : Buffer.concat([stored.subarray(headerBytes, at), final]);
    } catch (error) {
      throw new IntegrityError('fails authentication');
    }
  } else {
    if (stored.length < headerBytes + 32) throw new IntegrityError('is truncated');
    body = stored.subarray(headerBytes, stored.length - 32);
    const actual = crypto.createHash('sha256').update(header).update(aad).update(body).digest();
    if (!crypto.timingSafeEqual(actual, stored.subarray(stored.length - 32))) throw new IntegrityError('fails its checksum');
  }
  // Outside decompress(): a missing module is not damaged data.
  if (algorithm === 'zstd') loadZstd();
  const plaintext = decompress(body, algorithm, out, reader.maxPlaintext);
  if (plaintext.length > reader.maxPlaintext) throw new IntegrityError('does not decompress');
  const id = key
    ? crypto.createHmac('sha256', key.idKey).update(plaintext).digest('hex')
    : crypto.createHash('sha256').update(plaintext).digest('hex');
  if (id !== chunkId) throw new IntegrityError('does not match its content');
  return plaintext;
}

/** A transferable copy unless \`plaintext\` owns its memory exactly. */
function transferable(plaintext) {
  const own = !(plaintext.buffer instanceof SharedArrayBuffer) &&
    plaintext.byteOffset === 0 && plaintext.byteLength === plaintext.buffer.byteLength;
  return own ? plaintext : new Uint8Array(plaintext);
}

function decodeInSlot(reader, m, stored) {
  const { memory, slotBytes } = reader;
  const front = m.slot * slotBytes;
  const room = slotBytes;
  const out = Buffer.from(memory, front, room);
  const plaintext = decode(reader, stored, Buffer.from(m.aad), m.chunkId, m.dataKeyId, out);
  collectGarbage(stored.length);
  if (plaintext.buffer === memory && plaintext.byteOffset === front) {
    parentPort.postMessage({ seq: m.seq, length: plaintext.length });
  } else if (plaintext.length <= room) {
    out.set(plaintext);
    parentPort.postMessage({ seq: m.seq, length: plaintext.length });
  } else {
    const copy = transferable(plaintext);
    parentPort.postMessage({ seq: m.seq, plaintext: copy }, [copy.buffer]);
  }
}

return (m) => {
  if (m.op === 'attach') {
    const { memory, slotBytes, maxPlaintext } = m;
    readers.set(m.reader, { memory, slotBytes, maxPlaintext, keys: new Map() });
    return;
  }
  if (m.op === 'detach') {
    readers.delete(m.reader);
    collectAllGarbage();
    parentPort.postMessage({ seq: m.seq });
    return;
  }
  if (m.op === 'key') {
    const keys = readers.get(m.reader)?.keys;
    keys?.set(m.id, { encryptionKey: Buffer.from(m.encryptionKey), idKey: Buffer.from(m.idKey) });
    return;
  }
  try {
    const reader = readers.get(m.reader);
    if (!reader) throw new Error('unknown reader ' + m.reader);
    const stored = Buffer.from(m.stored.buffer, m.stored.byteOffset, m.stored.byteLength);
    if (m.slot !== undefined) return decodeInSlot(reader, m, stored);
    const plaintext = decode(reader, stored, Buffer.from(m.aad), m.chunkId, m.dataKeyId, null);
    const out = transferable(plaintext);
    parentPort.postMessage({ seq: m.seq, plaintext: out }, [out.buffer]);
    collectGarbage(stored.length + out.length);
  } catch (error) {
    parentPort.postMessage({
      seq: m.seq,
      error: String((error && error.message) || error),
      integrity: error instanceof IntegrityError,
      missing: error instanceof MissingModuleError ? 'zstd-napi' : undefined,
    });
  }
};
})();
`;
