/**
 * The body of a chunk-encoder worker thread, as CommonJS source evaluated with
 * `new Worker(source, { eval: true })`: a string keeps it independent of how the package is
 * built or loaded (ESM, CJS, sources under a test runner). It must produce exactly what
 * `encodeObject` in chunk-codec.ts produces; the tests decode its output with `decodeObject`.
 *
 * Protocol (one message each way per step, buffers transferred or shared, never copied):
 *   → { op: 'id', seq, data }           ← { seq, id }            chunk id of the plaintext (kept)
 *   → { op: 'id', seq, slot, length, stream? }
 *                                       ← { seq, id }            same for a chunk in a slot of the
 *                                       shared pool (workerData.memory), nothing kept; with
 *                                       \`stream\`, first added to that entry hash (in message order)
 *   → { op: 'encode', seq, aad }        ← { seq, bytes, compression, sha256 }   the kept plaintext
 *   → { op: 'encode', seq, aad, slot, length }
 *                                       ← { seq, length, compression, sha256 }   the stored object,
 *                                       written over the plaintext in the slot (the main thread
 *                                       frees the slot once it is stored); or, should it not fit,
 *                                       ← { seq, bytes, compression, sha256, recycle: slot }
 *                                       (\`sha256\`: hex SHA-256 of the stored object's bytes)
 *   → { op: 'drop', seq }               (forget the kept plaintext)
 *   → { op: 'hash', stream, data }      (add a copy to entry hash \`stream\`; no reply)
 *   → { op: 'digest', seq, stream }     ← { seq, digest }        that hash, hex; forgets it
 *   ← { seq, error }                    on any failure
 */
export const CHUNK_ENCODER_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const zstd = require(workerData.zstdPath);
const { compression, level, key, headerBytes, magic, version, ids, memory, slotBytes } = workerData;
const streams = new Map();
const encKey = key ? Buffer.from(key.encryptionKey) : null;
const idKey = key ? Buffer.from(key.idKey) : null;
const keyId = key ? Buffer.from(key.idBytes) : null;
const kept = new Map();
// One compression context per worker, reused: a fresh one per chunk costs an allocation and
// table set-up each time.
let zstdCompressor = null;

// zstd compresses into one scratch buffer per worker, reused: a fresh compressBound-sized
// buffer per chunk (plus a trimmed copy) is megabytes of churn that the allocator keeps resident.
let scratch = null;

/** Compressed bytes (a view that is only valid until the next call for zstd). */
function compress(data) {
  switch (compression) {
    case 'gzip': return zlib.gzipSync(data, { level });
    case 'brotli': return zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    case 'zstd': {
      if (!zstdCompressor) {
        zstdCompressor = new zstd.Compressor();
        zstdCompressor.setParameters({ compressionLevel: level });
      }
      // At least ZSTD_compressBound(n) = n + n/256 + a small margin.
      const bound = data.length + (data.length >>> 7) + 65536;
      if (!scratch || scratch.length < bound) scratch = Buffer.allocUnsafeSlow(bound);
      const n = zstdCompressor.cctx.compress2(scratch, data);
      return scratch.subarray(0, n);
    }
    default: return data;
  }
}

/**
 * The stored object, written into \`target\` when given and large enough (it may hold the
 * plaintext itself: nothing of it is overwritten before it is consumed), else into a buffer
 * that owns its memory exactly (transferable).
 */
function encode(plaintext, aad, target) {
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
  const total = headerBytes + body.length + (encKey ? 16 : 32);
  const out = target && target.length >= total ? target : Buffer.allocUnsafeSlow(total);
  if (encKey) {
    header[6] = 1;
    keyId.copy(header, 8);
    crypto.randomFillSync(header, 24, 12);
    const cipher = crypto.createCipheriv('aes-256-gcm', encKey, header.subarray(24, 36));
    cipher.setAAD(Buffer.concat([header, aad]));
    const encrypted = cipher.update(body);
    const final = cipher.final();
    header.copy(out, 0);
    let at = headerBytes;
    at += encrypted.copy(out, at);
    at += final.copy(out, at);
    cipher.getAuthTag().copy(out, at);
  } else {
    const digest = crypto.createHash('sha256').update(header).update(aad).update(body).digest();
    out.set(body, headerBytes); // a memmove when body is the plaintext in \`target\`
    header.copy(out, 0);
    digest.copy(out, headerBytes + body.length);
  }
  // The stored bytes' SHA-256, for checksum verification: hashed here, while they are hot in
  // this thread's cache, rather than in a second pass on the main thread.
  const sha256 = crypto.createHash('sha256').update(out.subarray(0, total)).digest('hex');
  return { bytes: out, length: total, used, inTarget: out === target, sha256 };
}

function entryHash(stream) {
  let hash = streams.get(stream);
  if (!hash) {
    hash = crypto.createHash('sha256');
    streams.set(stream, hash);
  }
  return hash;
}

parentPort.on('message', (m) => {
  try {
    if (m.op === 'id') {
      let data;
      if (m.slot === undefined) {
        data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
        kept.set(m.seq, data);
      } else {
        data = new Uint8Array(memory, m.slot * slotBytes, m.length);
        if (m.stream !== undefined) entryHash(m.stream).update(data);
      }
      const id = idKey
        ? crypto.createHmac('sha256', idKey).update(data).digest('hex')
        : crypto.createHash('sha256').update(data).digest('hex');
      parentPort.postMessage({ seq: m.seq, id });
    } else if (m.op === 'encode') {
      if (m.slot !== undefined) {
        // The stored object replaces the plaintext in its slot: nothing allocated per chunk.
        const slot = Buffer.from(memory, m.slot * slotBytes, slotBytes);
        const r = encode(slot.subarray(0, m.length), Buffer.from(m.aad), slot);
        collectGarbage(m.length);
        if (r.inTarget) parentPort.postMessage({ seq: m.seq, length: r.length, compression: r.used, sha256: r.sha256 });
        else parentPort.postMessage({ seq: m.seq, bytes: r.bytes, compression: r.used, sha256: r.sha256, recycle: m.slot }, [r.bytes.buffer]);
      } else {
        const data = kept.get(m.seq);
        kept.delete(m.seq);
        if (!data) throw new Error('unknown chunk sequence ' + m.seq);
        const { bytes, used, sha256 } = encode(data, Buffer.from(m.aad));
        parentPort.postMessage({ seq: m.seq, bytes, compression: used, sha256 }, [bytes.buffer]);
        collectGarbage(data.length);
      }
    } else if (m.op === 'drop') {
      kept.delete(m.seq);
    } else if (m.op === 'hash') {
      entryHash(m.stream).update(m.data);
    } else if (m.op === 'digest') {
      const hash = entryHash(m.stream);
      streams.delete(m.stream);
      parentPort.postMessage({ seq: m.seq, digest: hash.digest('hex') });
    }
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String(error && error.message || error) });
  }
});
`;
