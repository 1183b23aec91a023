/**
 * The body of a chunk-decoder worker thread (CommonJS source for `new Worker(source, { eval: true })`,
 * like the encoder's). It must accept exactly what `decodeObject` in chunk-codec.ts accepts
 * and re-check the chunk id like `Repository.getChunk`; the tests run both on the same objects.
 *
 *   → { op: 'key', id, encryptionKey, idKey }                   register an unwrapped data key
 *   → { op: 'decode', seq, slot, storedLength, aad, chunkId, dataKeyId }
 *                                       the stored object lies at the end of slot \`slot\` of the
 *                                       shared memory (workerData.memory); the plaintext is written
 *                                       at the slot's front ← { seq, length }, or, should it not fit
 *                                       in front of the stored bytes, ← { seq, plaintext } (transferred)
 *   → { op: 'decode', seq, stored, aad, chunkId, dataKeyId }    (stored transferred) ← { seq, plaintext }
 *   ← { seq, error, integrity }                                 on any failure
 */
export const CHUNK_DECODER_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const zstd = require(workerData.zstdPath);
const { headerBytes, maxPlaintext, names, memory, slotBytes } = workerData;
const keys = new Map();
// One decompression context per worker, reused.
const decompressor = new zstd.Decompressor();

class IntegrityError extends Error {}

/** The plaintext: in \`out\` (a view of its front) when given and it fits there, else a buffer of its own. */
function decompress(body, algorithm, out) {
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

function decode(stored, aad, chunkId, dataKeyId, out) {
  const header = stored.subarray(0, headerBytes);
  const algorithm = names[stored[5]];
  let body;
  let key = null;
  if (dataKeyId) {
    key = keys.get(dataKeyId);
    if (!key) throw new Error('data key not registered');
    if (stored.length < headerBytes + 16) throw new IntegrityError('is truncated');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.encryptionKey, stored.subarray(24, 36));
      decipher.setAAD(Buffer.concat([header, aad]));
      decipher.setAuthTag(stored.subarray(stored.length - 16));
      const first = decipher.update(stored.subarray(headerBytes, stored.length - 16));
      const final = decipher.final();
      body = final.length === 0 ? first : Buffer.concat([first, final]);
    } catch (error) {
      throw new IntegrityError('fails authentication');
    }
  } else {
    if (stored.length < headerBytes + 32) throw new IntegrityError('is truncated');
    body = stored.subarray(headerBytes, stored.length - 32);
    const actual = crypto.createHash('sha256').update(header).update(aad).update(body).digest();
    if (!crypto.timingSafeEqual(actual, stored.subarray(stored.length - 32))) throw new IntegrityError('fails its checksum');
  }
  const plaintext = decompress(body, algorithm, out);
  if (plaintext.length > maxPlaintext) throw new IntegrityError('does not decompress');
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

function decodeInSlot(m) {
  const front = m.slot * slotBytes;
  const room = slotBytes - m.storedLength;
  const stored = Buffer.from(memory, front + room, m.storedLength);
  const out = Buffer.from(memory, front, room);
  const plaintext = decode(stored, Buffer.from(m.aad), m.chunkId, m.dataKeyId, out);
  collectGarbage(m.storedLength);
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

parentPort.on('message', (m) => {
  if (m.op === 'key') {
    keys.set(m.id, { encryptionKey: Buffer.from(m.encryptionKey), idKey: Buffer.from(m.idKey) });
    return;
  }
  try {
    if (m.slot !== undefined) return decodeInSlot(m);
    const stored = Buffer.from(m.stored.buffer, m.stored.byteOffset, m.stored.byteLength);
    const plaintext = decode(stored, Buffer.from(m.aad), m.chunkId, m.dataKeyId, null);
    const out = transferable(plaintext);
    parentPort.postMessage({ seq: m.seq, plaintext: out }, [out.buffer]);
    collectGarbage(stored.length + out.length);
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String((error && error.message) || error), integrity: error instanceof IntegrityError });
  }
});
`;
