/**
 * The body of a chunk-encoder worker thread, as CommonJS source evaluated with
 * `new Worker(source, { eval: true })`: a string keeps it independent of how the package is
 * built or loaded (ESM, CJS, sources under a test runner). It must produce exactly what
 * `encodeObject` in chunk-codec.ts produces; the tests decode its output with `decodeObject`.
 *
 * Protocol (one message each way per step, buffers transferred, never copied):
 *   → { op: 'id', seq, data }           ← { seq, id }            chunk id of the plaintext (kept)
 *   → { op: 'id', seq, slot, length }   ← { seq, id }            same, the plaintext in a slot of
 *                                                                the shared pool (workerData.memory)
 *   → { op: 'encode', seq, aad }        ← { seq, bytes, compression }
 *   → { op: 'drop', seq }               (forget the kept plaintext)
 *   ← { ..., recycle }                  with the encode reply, or alone ({ seq: 0, recycle }) after
 *                                       a drop: the pool slot the plaintext was in, now free
 *   ← { seq, error }                    on any failure
 */
export const CHUNK_ENCODER_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const zstd = require(workerData.zstdPath);
const { compression, level, key, headerBytes, magic, version, ids, memory, slotBytes } = workerData;
const slots = new Map();
const encKey = key ? Buffer.from(key.encryptionKey) : null;
const idKey = key ? Buffer.from(key.idKey) : null;
const keyId = key ? Buffer.from(key.idBytes) : null;
const kept = new Map();
// One compression context per worker, reused: a fresh one per chunk costs an allocation and
// table set-up each time.
let zstdCompressor = null;

function compress(data) {
  switch (compression) {
    case 'gzip': return zlib.gzipSync(data, { level });
    case 'brotli': return zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    case 'zstd':
      if (!zstdCompressor) {
        zstdCompressor = new zstd.Compressor();
        zstdCompressor.setParameters({ compressionLevel: level });
      }
      return zstdCompressor.compress(data);
    default: return data;
  }
}

function encode(plaintext, aad) {
  let body = plaintext;
  let used = 'none';
  if (compression !== 'none' && plaintext.length > 0) {
    const compressed = compress(plaintext);
    if (compressed.length < plaintext.length) { body = compressed; used = compression; }
  }
  const header = Buffer.alloc(headerBytes);
  Buffer.from(magic).copy(header, 0);
  header[4] = version;
  header[5] = ids[used];
  if (encKey) {
    header[6] = 1;
    keyId.copy(header, 8);
    const nonce = crypto.randomBytes(12);
    nonce.copy(header, 24);
    const cipher = crypto.createCipheriv('aes-256-gcm', encKey, nonce);
    cipher.setAAD(Buffer.concat([header, aad]));
    const encrypted = cipher.update(body);
    const final = cipher.final();
    return { bytes: Buffer.concat([header, encrypted, final, cipher.getAuthTag()]), used };
  }
  const digest = crypto.createHash('sha256').update(header).update(aad).update(body).digest();
  return { bytes: Buffer.concat([header, body, digest]), used };
}

parentPort.on('message', (m) => {
  try {
    if (m.op === 'id') {
      const data = m.slot === undefined
        ? Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)
        : Buffer.from(memory, m.slot * slotBytes, m.length);
      kept.set(m.seq, data);
      if (m.slot !== undefined) slots.set(m.seq, m.slot);
      const id = idKey
        ? crypto.createHmac('sha256', idKey).update(data).digest('hex')
        : crypto.createHash('sha256').update(data).digest('hex');
      parentPort.postMessage({ seq: m.seq, id });
    } else if (m.op === 'encode') {
      const data = kept.get(m.seq);
      kept.delete(m.seq);
      if (!data) throw new Error('unknown chunk sequence ' + m.seq);
      const { bytes, used } = encode(data, Buffer.from(m.aad));
      // Concat results own their memory exactly; transfer instead of copying back.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const out = own ? bytes : new Uint8Array(bytes);
      const reply = { seq: m.seq, bytes: out, compression: used };
      if (slots.has(m.seq)) {
        reply.recycle = slots.get(m.seq);
        slots.delete(m.seq);
      }
      parentPort.postMessage(reply, [out.buffer]);
    } else if (m.op === 'drop') {
      kept.delete(m.seq);
      if (slots.has(m.seq)) {
        parentPort.postMessage({ seq: 0, recycle: slots.get(m.seq) });
        slots.delete(m.seq);
      }
    }
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String(error && error.message || error) });
  }
});
`;
