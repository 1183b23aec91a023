import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BackupError, isBackupError } from '../errors.js';
import { LOCKS_PREFIX } from '../repository/layout.js';
import { readObject } from '../repository/object-io.js';
import type { ObjectInfo, StorageDriver } from '../storage/storage-driver.js';
import { abortedError } from '../util/abort.js';
import { type Clock, systemClock } from '../util/clock.js';

/**
 * `shared`: a backup (many at once). `exclusive`: garbage collection (alone). A backup holds its
 * shared lock from before it lists the stored chunks it may reuse until its manifest is written;
 * garbage collection holds the exclusive lock from before it reads the manifests until its last
 * delete. So no chunk a running backup decided to reuse can be deleted under it.
 */
export type RepositoryLockKind = 'shared' | 'exclusive';

export interface RepositoryLockRecord {
  id: string;
  kind: RepositoryLockKind;
  owner: string;
  host: string;
  pid: number;
  created_at: string;
  /** A lock past this time is stale (its holder died): others ignore it. */
  expires_at: string;
}

export interface RepositoryLockOptions {
  clock?: Clock;
  /** Lifetime of the lock without refresh. Default 10 minutes. */
  ttlMs?: number;
  /** How often the holder rewrites its lock (real time). Default ttl / 3. */
  refreshMs?: number;
  /** How long to keep retrying while a conflicting lock is held. Default: shared 1 h, exclusive 0. */
  waitMs?: number;
  /** Pause between attempts (real time). Default 250 ms, jittered. */
  retryMs?: number;
  /** Who holds it, for operators reading `locks/` (an instance id, a job id). */
  owner?: string;
  signal?: AbortSignal;
}

const LOCK_KEY = /^locks\/([A-Za-z0-9_-]{1,100})\.json$/;
const MAX_LOCK_BYTES = 64 * 1024;

/** A held lock. Call `release()` when done (also after failures). */
export class RepositoryLock {
  readonly #driver: StorageDriver;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #record: RepositoryLockRecord;
  #timer: NodeJS.Timeout | null = null;
  #released = false;
  #refreshError: BackupError | null = null;
  #inflight: Promise<void> | null = null;
  /** The store's own clock reading when the lock was written (its `lastModified`), if it reports one. */
  readonly storageTime: Date | null;

  constructor(
    driver: StorageDriver,
    record: RepositoryLockRecord,
    clock: Clock,
    ttlMs: number,
    refreshMs: number,
    storageTime: Date | null = null,
  ) {
    this.#driver = driver;
    this.#record = record;
    this.storageTime = storageTime;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.#refreshError =
          error instanceof BackupError ? error : new BackupError('storage_error', String(error));
      });
    }, refreshMs);
    this.#timer.unref();
  }

  get id(): string {
    return this.#record.id;
  }

  get kind(): RepositoryLockKind {
    return this.#record.kind;
  }

  get expiresAt(): Date {
    return new Date(this.#record.expires_at);
  }

  /** Extends the lock by its ttl. Throws `conflict` if it was released or went stale meanwhile. */
  async refresh(): Promise<void> {
    this.assertHeld();
    const next = {
      ...this.#record,
      expires_at: new Date(this.#clock.now().getTime() + this.#ttlMs).toISOString(),
    };
    const write = writeLock(this.#driver, next);
    // release() waits for this write, so a late refresh can never resurrect a released lock.
    this.#inflight = write.catch(() => undefined);
    await write;
    this.#record = next;
  }

  /**
   * Throws `BackupError('conflict')` unless the lock is still held and unexpired: whoever relies on
   * the lock checks this before each irreversible step.
   */
  assertHeld(): void {
    if (this.#released)
      throw new BackupError('conflict', 'Repository lock was released', { details: { lock_id: this.id } });
    if (this.#refreshError) {
      throw new BackupError('conflict', 'Repository lock could not be refreshed', {
        cause: this.#refreshError,
        details: { lock_id: this.id },
      });
    }
    if (this.#clock.now().getTime() >= Date.parse(this.#record.expires_at)) {
      throw new BackupError('conflict', 'Repository lock expired while held', {
        details: { lock_id: this.id },
      });
    }
  }

  /** Removes the lock object. Idempotent. */
  async release(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#released) return;
    this.#released = true;
    await this.#inflight;
    await this.#driver.delete(lockKey(this.id));
  }
}

function lockKey(id: string): string {
  return `${LOCKS_PREFIX}${id}.json`;
}

async function writeLock(driver: StorageDriver, record: RepositoryLockRecord): Promise<void> {
  await driver.put(lockKey(record.id), Buffer.from(JSON.stringify(record)));
}

/** Every lock object under `locks/` that is not expired at `now` (unreadable ones count as exclusive until their mtime + ttl). */
export async function listLiveLocks(
  driver: StorageDriver,
  now: Date,
  options: { ttlMs?: number; signal?: AbortSignal } = {},
): Promise<RepositoryLockRecord[]> {
  const infos: ObjectInfo[] = [];
  for await (const info of driver.list(LOCKS_PREFIX, { signal: options.signal })) {
    if (LOCK_KEY.test(info.key)) infos.push(info);
  }
  const live: RepositoryLockRecord[] = [];
  for (const info of infos) {
    const id = LOCK_KEY.exec(info.key)?.[1] ?? '';
    let record: RepositoryLockRecord;
    try {
      const parsed = JSON.parse(
        (await readObject(driver, info.key, MAX_LOCK_BYTES, { signal: options.signal })).toString('utf8'),
      );
      if (parsed?.kind !== 'shared' && parsed?.kind !== 'exclusive') throw new Error('not a lock');
      if (typeof parsed.expires_at !== 'string' || Number.isNaN(Date.parse(parsed.expires_at)))
        throw new Error('no expiry');
      record = parsed as RepositoryLockRecord;
    } catch (error) {
      if (isBackupError(error, 'not_found')) continue; // released between list and read
      if (isBackupError(error) && error.code !== 'integrity_error') throw error;
      // Unreadable: be conservative, treat it as exclusive until it is old enough to be stale.
      const ttl = options.ttlMs ?? 10 * 60_000;
      record = {
        id,
        kind: 'exclusive',
        owner: 'unknown',
        host: 'unknown',
        pid: 0,
        created_at: info.lastModified.toISOString(),
        expires_at: new Date(info.lastModified.getTime() + ttl).toISOString(),
      };
    }
    if (Date.parse(record.expires_at) > now.getTime()) live.push({ ...record, id });
  }
  return live;
}

/**
 * Takes a lock under `locks/` in the repository's storage: writes its own lock object, then lists
 * the others; if one conflicts (any live lock for `exclusive`, a live exclusive one for `shared`)
 * it withdraws and retries until `waitMs`. Write-then-list means two conflicting takers can never
 * both succeed (whichever lists last sees the other's lock; at worst both withdraw and retry).
 * Needs a store whose listings show completed puts (all built-in drivers).
 *
 * Throws `BackupError('conflict')` (with the holders in `details.locks`) when the wait runs out,
 * `aborted` on the signal, storage errors as they come.
 */
export async function acquireRepositoryLock(
  driver: StorageDriver,
  kind: RepositoryLockKind,
  options: RepositoryLockOptions = {},
): Promise<RepositoryLock> {
  const clock = options.clock ?? systemClock;
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const refreshMs = options.refreshMs ?? Math.max(1000, Math.floor(ttlMs / 3));
  const waitMs = options.waitMs ?? (kind === 'shared' ? 60 * 60_000 : 0);
  const retryMs = options.retryMs ?? 250;
  const startedReal = Date.now();
  const id = `lock_${randomBytes(16).toString('hex')}`;
  for (;;) {
    if (options.signal?.aborted) throw abortedError(options.signal);
    const now = clock.now();
    const record: RepositoryLockRecord = {
      id,
      kind,
      owner: options.owner ?? 'backupkit',
      host: hostname(),
      pid: process.pid,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    };
    await writeLock(driver, record);
    let conflicts: RepositoryLockRecord[];
    try {
      const live = await listLiveLocks(driver, clock.now(), { ttlMs, signal: options.signal });
      conflicts = live.filter((l) => l.id !== id && (kind === 'exclusive' || l.kind === 'exclusive'));
    } catch (error) {
      await driver.delete(lockKey(id)).catch(() => undefined);
      throw error;
    }
    if (conflicts.length === 0) {
      // The store's time, for comparisons with object timestamps (independent of this host's clock).
      const written = await driver.head(lockKey(id), { signal: options.signal }).catch(() => null);
      return new RepositoryLock(driver, record, clock, ttlMs, refreshMs, written?.lastModified ?? null);
    }
    await driver.delete(lockKey(id));
    if (Date.now() - startedReal >= waitMs) {
      throw new BackupError('conflict', `Repository is locked (${kind} lock refused)`, {
        details: {
          locks: conflicts.map((l) => ({
            id: l.id,
            kind: l.kind,
            owner: l.owner,
            host: l.host,
            expires_at: l.expires_at,
          })),
        },
      });
    }
    await sleep(retryMs * (0.5 + Math.random()), options.signal);
  }
}

/** Runs `fn` holding a lock; releases it however `fn` ends. */
export async function withRepositoryLock<T>(
  driver: StorageDriver,
  kind: RepositoryLockKind,
  fn: (lock: RepositoryLock) => Promise<T>,
  options: RepositoryLockOptions = {},
): Promise<T> {
  const lock = await acquireRepositoryLock(driver, kind, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
