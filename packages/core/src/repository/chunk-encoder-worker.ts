/**
 * The encoder half of a chunk worker thread (see chunk-worker.ts, which puts it together with the
 * decoder half), as CommonJS source defining \`handleEncoderMessage(m)\`: a string keeps it
 * independent of how the package is built or loaded (ESM, CJS, sources under a test runner). It
 * must produce exactly what `encodeObject` in chunk-codec.ts produces; the tests decode its
 * output with `decodeObject`.
 *
 * The workers are shared by every run in the process (see shared-workers.ts): a backup run
 * attaches its settings under its id (\`run\`), names that id in each message and detaches at
 * the end. Sequence numbers (\`seq\`) and entry-hash streams are unique in the pool, across runs.
 *
 * Protocol (one message each way per step, buffers transferred or shared, never copied):
 *   → { op: 'attach', run, memory, slotBytes, compression, level, key, zstdPath }
 *                                       a run's settings (no reply); \`memory\`: its shared pool
 *   → { op: 'detach', seq, run }        ← { seq }   forgets the run (its kept chunks and entry
 *                                       hashes); the reply comes after every earlier message's
 *   → { op: 'id', seq, run, data }      ← { seq, id }            chunk id of the plaintext (kept)
 *   → { op: 'id', seq, run, slot, length, stream? }
 *                                       ← { seq, id }            same for a chunk in a slot of the
 *                                       run's shared pool, nothing kept; with \`stream\`, first
 *                                       added to that entry hash (in message order)
 *   → { op: 'encode', seq, run, aad }   ← { seq, bytes, compression, sha256 }   the kept plaintext
 *   → { op: 'encode', seq, run, aad, slot, length }
 *                                       ← { seq, length, compression, sha256 }   the stored object,
 *                                       written over the plaintext in the slot (the main thread
 *                                       frees the slot once it is stored); or, should it not fit,
 *                                       ← { seq, bytes, compression, sha256, recycle: slot }
 *                                       (\`sha256\`: hex SHA-256 of the stored object's bytes)
 *   → { op: 'drop', seq, run }          (forget the kept plaintext)
 *   → { op: 'hash', run, stream, data } (add a copy to entry hash \`stream\`; no reply)
 *   → { op: 'digest', seq, run, stream } ← { seq, digest }       that hash, hex; forgets it
 *   ← { seq, error }                    on any failure
 */
export const CHUNK_ENCODER_WORKER_SOURCE = `
const handleEncoderMessage = (() => {
const { headerBytes, magic, version, ids } = workerData;
/** Attached runs by id: settings, keys, shared pool, kept chunks and entry hashes. */
const runs = new Map();
// One zstd compression context per worker, reused by every chunk of every run (its level set
// when a run's differs): a fresh one costs an allocation and table set-up each time. Loaded
// by the first zstd run only (zstd-napi is optional).
let zstdCompressor = null;
let zstdLevel = 0;

// The cipher runs over pieces of this size: its output buffers stay small, so the thread's
// allocator reuses them instead of keeping a chunk-sized buffer per chunk resident.
const CIPHER_PIECE = 64 * 1024;

// zstd compresses into one scratch buffer per worker, reused: a fresh compressBound-sized
// buffer per chunk (plus a trimmed copy) is megabytes of churn that the allocator keeps resident.
let scratch = null;

function attach(m) {
  const key = m.key;
  runs.set(m.run, {
    compression: m.compression,
    level: m.level,
    zstdPath: m.zstdPath,
    memory: m.memory,
    slotBytes: m.slotBytes,
    encKey: key ? Buffer.from(key.encryptionKey) : null,
    idKey: key ? Buffer.from(key.idKey) : null,
    keyId: key ? Buffer.from(key.idBytes) : null,
    kept: new Map(),
    streams: new Map(),
  });
}

function runOf(m) {
  const run = runs.get(m.run);
  if (!run) throw new Error('unknown run ' + m.run);
  return run;
}

/** Compressed bytes (a view that is only valid until the next call for zstd). */
function compress(run, data) {
  switch (run.compression) {
    case 'gzip': return zlib.gzipSync(data, { level: run.level });
    case 'brotli': return zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: run.level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    case 'zstd': {
      if (!zstdCompressor) zstdCompressor = new (require(run.zstdPath).Compressor)();
      if (zstdLevel !== run.level) {
        zstdCompressor.setParameters({ compressionLevel: run.level });
        zstdLevel = run.level;
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
function encode(run, plaintext, aad, target) {
  let body = plaintext;
  let used = 'none';
  if (run.compression !== 'none' && plaintext.length > 0) {
    const compressed = compress(run, plaintext);
    if (compressed.length < plaintext.length) { body = compressed; used = run.compression; }
  }
  const header = Buffer.alloc(headerBytes);
  Buffer.from(magic).copy(header, 0);
  header[4] = version;
  header[5] = ids[used];
  const total = headerBytes + body.length + (run.encKey ? 16 : 32);
  const out = target && target.length >= total ? target : Buffer.allocUnsafeSlow(total);
  if (run.encKey) {
    header[6] = 1;
    run.keyId.copy(header, 8);
    crypto.randomFillSync(header, 24, 12);
    const cipher = crypto.createCipheriv('aes-256-gcm', run.encKey, header.subarray(24, 36));
    cipher.setAAD(Buffer.concat([header, aad]));
    // In pieces, each written one piece late: \`body\` may be the plaintext in \`out\` itself,
    // and the output (36 bytes further on) must not overwrite bytes still to be read.
    let at = headerBytes;
    let late = null;
    for (let i = 0; i < body.length; i += CIPHER_PIECE) {
      const piece = cipher.update(body.subarray(i, Math.min(body.length, i + CIPHER_PIECE)));
      if (late) at += late.copy(out, at);
      late = piece;
    }
    if (late) at += late.copy(out, at);
    at += cipher.final().copy(out, at);
    header.copy(out, 0);
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

function entryHash(run, stream) {
  let hash = run.streams.get(stream);
  if (!hash) {
    hash = crypto.createHash('sha256');
    run.streams.set(stream, hash);
  }
  return hash;
}

return (m) => {
  try {
    if (m.op === 'attach') return attach(m);
    if (m.op === 'detach') {
      runs.delete(m.run);
      collectAllGarbage();
      return parentPort.postMessage({ seq: m.seq });
    }
    const run = runOf(m);
    if (m.op === 'id') {
      let data;
      if (m.slot === undefined) {
        data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
        run.kept.set(m.seq, data);
      } else {
        data = new Uint8Array(run.memory, m.slot * run.slotBytes, m.length);
        if (m.stream !== undefined) entryHash(run, m.stream).update(data);
      }
      const id = run.idKey
        ? crypto.createHmac('sha256', run.idKey).update(data).digest('hex')
        : crypto.createHash('sha256').update(data).digest('hex');
      parentPort.postMessage({ seq: m.seq, id });
    } else if (m.op === 'encode') {
      if (m.slot !== undefined) {
        // The stored object replaces the plaintext in its slot: nothing allocated per chunk.
        const slot = Buffer.from(run.memory, m.slot * run.slotBytes, run.slotBytes);
        const r = encode(run, slot.subarray(0, m.length), Buffer.from(m.aad), slot);
        collectGarbage(m.length);
        if (r.inTarget) parentPort.postMessage({ seq: m.seq, length: r.length, compression: r.used, sha256: r.sha256 });
        else parentPort.postMessage({ seq: m.seq, bytes: r.bytes, compression: r.used, sha256: r.sha256, recycle: m.slot }, [r.bytes.buffer]);
      } else {
        const data = run.kept.get(m.seq);
        run.kept.delete(m.seq);
        if (!data) throw new Error('unknown chunk sequence ' + m.seq);
        const { bytes, used, sha256 } = encode(run, data, Buffer.from(m.aad));
        parentPort.postMessage({ seq: m.seq, bytes, compression: used, sha256 }, [bytes.buffer]);
        collectGarbage(data.length);
      }
    } else if (m.op === 'drop') {
      run.kept.delete(m.seq);
    } else if (m.op === 'hash') {
      entryHash(run, m.stream).update(m.data);
    } else if (m.op === 'digest') {
      const hash = entryHash(run, m.stream);
      run.streams.delete(m.stream);
      parentPort.postMessage({ seq: m.seq, digest: hash.digest('hex') });
    }
  } catch (error) {
    if (m.seq !== undefined) parentPort.postMessage({ seq: m.seq, error: String(error && error.message || error) });
  }
};
})();
`;
