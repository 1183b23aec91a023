import type { CompressionAlgorithm } from './manifest.js';

/*
 * Messages between the main thread and the chunk workers (chunk-worker-main.ts). One message
 * each way per step; buffers are transferred or shared, never copied.
 *
 * The workers are shared by every run in the process (see shared-workers.ts): a backup run
 * attaches its settings under its id (`run`) and names it in each message; a chunk reader does
 * the same under `reader`. Sequence numbers (`seq`) and entry-hash streams are unique in the
 * pool, across runs. A detach is answered after every earlier message of the sender's.
 */

/** Key material a worker needs, copied out of a DataKey. */
export interface WorkerKey {
  encryptionKey: Uint8Array;
  idKey: Uint8Array;
  idBytes: Uint8Array;
}

/** A backup run's messages (the encoder half). */
export type EncoderMessage =
  /** The run's settings (no reply); `memory`: its shared chunk pool, if any. */
  | {
      op: 'attach';
      run: number;
      memory: SharedArrayBuffer | null;
      slotBytes: number;
      compression: CompressionAlgorithm;
      level: number;
      key: WorkerKey | null;
    }
  /** Forgets the run (its kept chunks and entry hashes) → `{ seq }`. */
  | { op: 'detach'; seq: number; run: number }
  /** The chunk id of `data`, which is kept for `encode` → `{ seq, id }`. */
  | { op: 'id'; seq: number; run: number; data: Uint8Array }
  /**
   * The chunk id of a chunk in a slot of the run's pool, nothing kept → `{ seq, id }`; with
   * `stream`, the chunk is first added to that entry hash (in message order).
   */
  | { op: 'id'; seq: number; run: number; slot: number; length: number; stream?: number }
  /**
   * Encodes the kept plaintext → `{ seq, bytes, compression, sha256 }`; or, with `slot`, the
   * chunk in that slot, written over it → `{ seq, length, compression, sha256 }` (should it
   * not fit: `{ seq, bytes, compression, sha256, recycle: slot }`).
   */
  | { op: 'encode'; seq: number; run: number; aad: Uint8Array; slot?: number; length?: number }
  /** Forgets the kept plaintext (no reply). */
  | { op: 'drop'; seq: number; run: number }
  /** Adds `data` to entry hash `stream` (no reply). */
  | { op: 'hash'; run: number; stream: number; data: Uint8Array }
  /** That entry hash, hex, and forgets it → `{ seq, digest }`. */
  | { op: 'digest'; seq: number; run: number; stream: number };

export interface EncoderReply {
  seq: number;
  id?: string;
  bytes?: Uint8Array;
  compression?: CompressionAlgorithm;
  /** Hex SHA-256 of the stored object (replies to `encode`). */
  sha256?: string;
  /** Bytes of the stored object written into the chunk's slot. */
  length?: number;
  /** A pool slot the worker is done with. */
  recycle?: number;
  digest?: string;
  error?: string;
}

/** A chunk reader's messages (the decoder half). */
export type DecoderMessage =
  /** The reader's decoding slots (no reply). */
  | { op: 'attach'; reader: number; memory: SharedArrayBuffer; slotBytes: number; maxPlaintext: number }
  /** Registers an unwrapped data key (no reply). */
  | { op: 'key'; reader: number; id: string; encryptionKey: Uint8Array; idKey: Uint8Array }
  /** Forgets the reader's memory and keys → `{ seq }`. */
  | { op: 'detach'; seq: number; reader: number }
  /**
   * Authenticates, decrypts and decompresses `stored` (transferred) and re-checks the chunk id.
   * With `slot`, the plaintext goes to the front of that slot → `{ seq, length }`, or, should it
   * not fit there, `{ seq, plaintext }` (transferred); without, `{ seq, plaintext }`.
   */
  | {
      op: 'decode';
      seq: number;
      reader: number;
      stored: Uint8Array;
      aad: Uint8Array;
      chunkId: string;
      dataKeyId: string | null;
      slot?: number;
    };

export interface DecoderReply {
  seq: number;
  /** Plaintext bytes at the front of the request's slot. */
  length?: number;
  plaintext?: Uint8Array;
  error?: string;
  /** The chunk is damaged (`error` says how). */
  integrity?: boolean;
  /** An optional package the chunk needs could not be loaded (zstd-napi). */
  missing?: string;
}
