import { createHash, createHmac, type Hash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { releaseNow } from '../util/release-memory.js';
import type { EncoderMessage, EncoderReply } from './chunk-worker-protocol.js';
import type { CompressionAlgorithm } from './manifest.js';
import { type SealKey, sealObject } from './object-format.js';
import { ZstdCompressor } from './zstd.js';

// The encoder half of a chunk worker (see chunk-worker-main.ts): chunk ids, entry hashes and
// encoding for backup runs. It produces exactly what `encodeObject` produces on the main
// thread: both seal with object-format.ts.

interface AttachedRun {
  compression: CompressionAlgorithm;
  level: number;
  memory: SharedArrayBuffer | null;
  slotBytes: number;
  key: (SealKey & { idKey: Buffer }) | null;
  /** Plaintexts sent (not pooled), by seq, until encoded or dropped. */
  kept: Map<number, Buffer>;
  /** Entry hashes by stream. */
  streams: Map<number, Hash>;
}

/** A handler for one worker's encoder messages, replying on `port`. */
export function createEncoderHandler(port: MessagePort): (message: EncoderMessage) => void {
  const runs = new Map<number, AttachedRun>();
  // One zstd context per worker, reused by every chunk of every run; created by the first zstd
  // run only (zstd-napi is optional).
  let zstd: ZstdCompressor | null = null;

  /** The compressed bytes (for zstd, a view valid only until the next call). */
  const compress = (run: AttachedRun, data: Uint8Array): Uint8Array => {
    switch (run.compression) {
      case 'gzip':
        return zlib.gzipSync(data, { level: run.level });
      case 'brotli':
        return zlib.brotliCompressSync(data, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: run.level,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        });
      case 'zstd':
        zstd ??= new ZstdCompressor();
        return zstd.compress(data, run.level);
      case 'none':
        return data;
    }
  };

  /** The stored object, in `target` when given and large enough (it may hold the plaintext). */
  const encode = (run: AttachedRun, plaintext: Uint8Array, aad: Uint8Array, target?: Buffer) => {
    let body = plaintext;
    let used: CompressionAlgorithm = 'none';
    if (run.compression !== 'none' && plaintext.length > 0) {
      const compressed = compress(run, plaintext);
      if (compressed.length < plaintext.length) {
        body = compressed;
        used = run.compression;
      } else if (run.compression !== 'zstd') releaseNow(compressed);
    }
    const bytes = sealObject(body, used, run.key, aad, target);
    if (used !== 'none' && used !== 'zstd') releaseNow(body);
    // The stored bytes' SHA-256, for checksum verification: hashed here, while they are hot in
    // this thread's cache, rather than in a second pass on the main thread.
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { bytes, used, sha256, inTarget: target !== undefined && bytes.buffer === target.buffer };
  };

  const runOf = (m: { run: number }): AttachedRun => {
    const run = runs.get(m.run);
    if (!run) throw new Error(`unknown run ${m.run}`);
    return run;
  };

  const entryHash = (run: AttachedRun, stream: number): Hash => {
    let hash = run.streams.get(stream);
    if (!hash) {
      hash = createHash('sha256');
      run.streams.set(stream, hash);
    }
    return hash;
  };

  const reply = (message: EncoderReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  const handle = (m: EncoderMessage): void => {
    switch (m.op) {
      case 'attach': {
        const key = m.key;
        runs.set(m.run, {
          compression: m.compression,
          level: m.level,
          memory: m.memory,
          slotBytes: m.slotBytes,
          key: key
            ? {
                encryptionKey: Buffer.from(key.encryptionKey),
                idKey: Buffer.from(key.idKey),
                idBytes: Buffer.from(key.idBytes),
              }
            : null,
          kept: new Map(),
          streams: new Map(),
        });
        return;
      }
      case 'detach':
        runs.delete(m.run);
        reply({ seq: m.seq });
        return;
      case 'id': {
        const run = runOf(m);
        let data: Uint8Array;
        if ('data' in m) {
          data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
          run.kept.set(m.seq, data as Buffer);
        } else {
          data = new Uint8Array(run.memory!, m.slot * run.slotBytes, m.length);
          if (m.stream !== undefined) entryHash(run, m.stream).update(data);
        }
        const id = run.key
          ? createHmac('sha256', run.key.idKey).update(data).digest('hex')
          : createHash('sha256').update(data).digest('hex');
        reply({ seq: m.seq, id });
        return;
      }
      case 'encode': {
        const run = runOf(m);
        const aad = Buffer.from(m.aad);
        if (m.slot !== undefined) {
          // The stored object replaces the plaintext in its slot: nothing allocated per chunk.
          const slot = Buffer.from(run.memory!, m.slot * run.slotBytes, run.slotBytes);
          const r = encode(run, slot.subarray(0, m.length), aad, slot);
          if (r.inTarget) {
            reply({ seq: m.seq, length: r.bytes.length, compression: r.used, sha256: r.sha256 });
            return;
          }
          reply({ seq: m.seq, bytes: r.bytes, compression: r.used, sha256: r.sha256, recycle: m.slot }, [
            r.bytes.buffer as ArrayBuffer,
          ]);
          return;
        }
        const data = run.kept.get(m.seq);
        run.kept.delete(m.seq);
        if (!data) throw new Error(`unknown chunk sequence ${m.seq}`);
        const { bytes, used, sha256 } = encode(run, data, aad);
        reply({ seq: m.seq, bytes, compression: used, sha256 }, [bytes.buffer as ArrayBuffer]);
        releaseNow(data);
        return;
      }
      case 'drop': {
        const run = runOf(m);
        const data = run.kept.get(m.seq);
        run.kept.delete(m.seq);
        if (data) releaseNow(data);
        return;
      }
      case 'hash':
        entryHash(runOf(m), m.stream).update(m.data);
        releaseNow(m.data);
        return;
      case 'digest': {
        const run = runOf(m);
        const hash = entryHash(run, m.stream);
        run.streams.delete(m.stream);
        reply({ seq: m.seq, digest: hash.digest('hex') });
        return;
      }
    }
  };

  return (m) => {
    try {
      handle(m);
    } catch (error) {
      if ('seq' in m) reply({ seq: m.seq, error: error instanceof Error ? error.message : String(error) });
    }
  };
}
