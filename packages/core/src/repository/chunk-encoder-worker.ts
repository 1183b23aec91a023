/**
 * The body of a chunk-encoder worker thread, as CommonJS source evaluated with
 * `new Worker(source, { eval: true })`: a string keeps it independent of how the package is
 * built or loaded (ESM, CJS, sources under a test runner). It must produce exactly what
 * `encodeObject` in chunk-codec.ts produces; the tests decode its output with `decodeObject`.
 *
 * Protocol (one message each way per step, buffers transferred, never copied):
 *   → { op: 'id', seq, data }           ← { seq, id }            chunk id of the plaintext (kept)
 *   → { op: 'encode', seq, aad }        ← { seq, bytes, compression }
 *   → { op: 'drop', seq }               (forget the kept plaintext)
 *   ← { seq, error }                    on any failure
 */
export const CHUNK_ENCODER_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const zstd = require(workerData.zstdPath);
const { compression, level, key, headerBytes, magic, version, ids } = workerData;
const encKey = key ? Buffer.from(key.encryptionKey) : null;
const idKey = key ? Buffer.from(key.idKey) : null;
const keyId = key ? Buffer.from(key.idBytes) : null;
const kept = new Map();

function compress(data) {
  switch (compression) {
    case 'gzip': return zlib.gzipSync(data, { level });
    case 'brotli': return zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    case 'zstd': return zstd.compress(data, { compressionLevel: level });
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
      const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      kept.set(m.seq, data);
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
      parentPort.postMessage({ seq: m.seq, bytes: out, compression: used }, [out.buffer]);
    } else if (m.op === 'drop') {
      kept.delete(m.seq);
    }
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String(error && error.message || error) });
  }
});
`;
