import { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';

/** A worker's code: its file, and what that file is told at start. */
export interface WorkerEntry {
  url: URL;
  workerData: unknown;
}

/** Idle workers are kept this long for the next run, then ended. */
export const WORKER_IDLE_MS = 30_000;

interface Waiter {
  resolve: (reply: never) => void;
  reject: (error: unknown) => void;
  worker: Worker;
  owner: object;
}

/**
 * Worker threads running one body, shared by every run in the process and kept from one run to
 * the next (ended once none has used them for {@link WORKER_IDLE_MS}). Runs keep their own
 * state in the workers under an id of theirs (attached and detached by message), and every
 * request is answered under a sequence number unique in the pool.
 *
 * Why: a service runs backups, verifications and restores one after the other for as long as
 * it lives. Workers started and ended per run meant a new thread, V8 isolate and zstd context
 * each time, and in glibc a malloc arena per thread whose freed memory stays resident; in a
 * long-lived example server that was measured adding tens of MiB to the peak of later runs.
 * Reused, the threads (and their arenas and contexts) are the same every run.
 */
export class SharedWorkerPool {
  readonly #label: string;
  readonly #locate: () => WorkerEntry;
  #entry: WorkerEntry | null = null;
  readonly #workers: Worker[] = [];
  readonly #waiting = new Map<number, Waiter>();
  #users = 0;
  #seq = 0;
  #idle: NodeJS.Timeout | null = null;

  /** `label` names the workers in errors ("chunk"); `locate` finds their code, when first needed. */
  constructor(label: string, locate: () => WorkerEntry) {
    this.#label = label;
    this.#locate = locate;
  }

  /**
   * Holds the pool, with at least `count` workers running, until {@link release}.
   * @returns `count` of the pool's workers.
   * @throws BackupError `internal_error` when a worker cannot be started.
   */
  acquire(count: number): Worker[] {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    this.#users++;
    try {
      while (this.#workers.length < count) this.#workers.push(this.#start());
    } catch (error) {
      this.release();
      throw new BackupError('internal_error', `A ${this.#label} worker could not be started`, {
        cause: error,
      });
    }
    // Running work keeps the process alive; idle workers do not.
    for (const worker of this.#workers) worker.ref();
    return this.#workers.slice(0, count);
  }

  /** Ends a hold from {@link acquire}; the last one starts the idle countdown. */
  release(): void {
    if (--this.#users > 0) return;
    for (const worker of this.#workers) worker.unref();
    this.#idle = setTimeout(() => this.#endIdle(), WORKER_IDLE_MS);
    this.#idle.unref();
  }

  /** A sequence number no other request of this pool uses. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** Sends a message that gets no reply. */
  post(worker: Worker, message: object, transfer: ArrayBuffer[] = []): void {
    if (this.#workers.includes(worker)) worker.postMessage(message, transfer);
  }

  /**
   * Sends `message` (whose `seq` is from {@link nextSeq}) and resolves with the reply under its
   * seq. `owner` groups requests for {@link abandon}.
   * @throws BackupError `internal_error` when the worker failed or exited.
   */
  request<Reply extends { seq: number }>(
    owner: object,
    worker: Worker,
    message: { seq: number; [field: string]: unknown },
    transfer: ArrayBuffer[] = [],
  ): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (!this.#workers.includes(worker)) {
        reject(new BackupError('internal_error', `A ${this.#label} worker is no longer running`));
        return;
      }
      this.#waiting.set(message.seq, { resolve: resolve as (reply: never) => void, reject, worker, owner });
      worker.postMessage(message, transfer);
    });
  }

  /** Rejects `owner`'s pending requests with `error`; their replies, should they come, are dropped. */
  abandon(owner: object, error: unknown): void {
    for (const [seq, waiter] of this.#waiting) {
      if (waiter.owner !== owner) continue;
      this.#waiting.delete(seq);
      waiter.reject(error);
    }
  }

  #start(): Worker {
    this.#entry ??= this.#locate();
    const worker = new Worker(this.#entry.url, {
      workerData: this.#entry.workerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    worker.on('message', (reply: { seq: number }) => {
      const waiter = this.#waiting.get(reply.seq);
      if (!waiter) return;
      this.#waiting.delete(reply.seq);
      waiter.resolve(reply as never);
    });
    worker.on('error', (error) =>
      this.#lose(
        worker,
        new BackupError('internal_error', `A ${this.#label} worker failed`, { cause: error }),
      ),
    );
    worker.on('exit', (code) =>
      this.#lose(
        worker,
        new BackupError('internal_error', `A ${this.#label} worker exited with code ${code}`),
      ),
    );
    return worker;
  }

  /** A worker died: it leaves the pool and what it was asked fails. */
  #lose(worker: Worker, error: BackupError): void {
    const index = this.#workers.indexOf(worker);
    if (index < 0) return; // ended on purpose, or already reported
    this.#workers.splice(index, 1);
    for (const [seq, waiter] of this.#waiting) {
      if (waiter.worker !== worker) continue;
      this.#waiting.delete(seq);
      waiter.reject(error);
    }
  }

  #endIdle(): void {
    this.#idle = null;
    if (this.#users > 0) return;
    for (const worker of this.#workers.splice(0)) void worker.terminate();
  }
}
