import { randomBytes } from 'node:crypto';
import { constants, type Dir } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, opendir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError } from '../errors.js';
import { abortedError, escapedRootError, hasErrno, toStorageError } from './local-errors.js';
import { keyToPath, prefixToLocation, TEMP_PREFIX } from './local-key.js';
import { LocalRoot } from './local-root.js';
import type {
  DriverCallOptions,
  GetOptions,
  ObjectInfo,
  PutOptions,
  StorageCapabilities,
  StorageDriver,
} from './storage-driver.js';

export interface LocalStorageDriverOptions {
  /** Directory holding every object; created on the first `put`. Relative paths resolve against the cwd. */
  root: string;
  /**
   * fsync each object and its directory before `put` resolves (default true), so a committed
   * backup survives a power loss. `false` is for scratch repositories (tests, tmpfs): puts stay
   * atomic for readers, but a crash of the machine may lose recent objects.
   */
  fsync?: boolean;
}

/** How often `put` retries when a concurrent `delete` pruned the directory it just created. */
const MKDIR_ATTEMPTS = 5;

/** A key that is a symlink is no object: reading never follows one. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Stores objects as files under a root directory: the embedded default driver.
 *
 * A `put` writes a uniquely named temp file beside the target, fsyncs it, renames it over the
 * target and fsyncs the directory, so readers see the old object or the new one, never a part.
 * Keys are validated (no `..`, absolute paths, backslashes or NUL) and can never leave the root.
 * Nor can a symlink planted in the tree lead outside: the root is used by its real path, every
 * directory a key passes through must resolve inside it (checked once per directory), objects
 * are opened without following symlinks, and listings neither descend into nor report them.
 */
export class LocalStorageDriver implements StorageDriver {
  readonly type = 'local';
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicPut: true, storeChecksums: false };
  readonly #root: string;
  readonly #local: LocalRoot;
  readonly #fsync: boolean;

  /** @throws BackupError `invalid_request` when `root` is missing or empty. */
  constructor(options: LocalStorageDriverOptions) {
    if (typeof options?.root !== 'string' || options.root.trim() === '') {
      throw new BackupError('invalid_request', 'LocalStorageDriver needs a non-empty root directory');
    }
    this.#root = path.resolve(options.root);
    this.#local = new LocalRoot(this.#root);
    this.#fsync = options.fsync ?? true;
  }

  /** The absolute directory the objects live in. */
  get root(): string {
    return this.#root;
  }

  /** The absolute file path of `key`. @throws BackupError `invalid_request` for invalid keys. */
  describe(key: string): string {
    return keyToPath(this.#root, key);
  }

  /**
   * Atomically stores `body` under `key`. An aborted or failed put leaves neither the object
   * nor a temp file behind (an existing object under `key` stays as it was).
   * @throws BackupError `invalid_request`, `aborted`, `access_denied`, `storage_error`.
   */
  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    keyToPath(this.#root, key);
    const { signal } = options;
    if (signal?.aborted) {
      if (body instanceof Readable) body.destroy();
      throw abortedError('put', key, signal.reason);
    }
    let handle: FileHandle;
    let file: string;
    let directory: string;
    let temp: string;
    try {
      file = keyToPath(await this.#createRoot(), key);
      directory = path.dirname(file);
      temp = path.join(directory, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
      handle = await this.#createTemp(directory, temp, key);
    } catch (error) {
      throw toStorageError(error, 'put', key, 'write');
    }
    // The stream owns the handle: `flush` fsyncs before it closes, and destroy (error, abort) closes it.
    // A body in memory is written straight through the handle: no stream machinery per object.
    const sink = body instanceof Readable ? handle.createWriteStream({ flush: this.#fsync }) : null;
    let handleOpen = true;
    try {
      let written: number;
      if (sink) {
        await pipeline(body as Readable, sink, signal ? { signal } : {});
        written = sink.bytesWritten;
      } else {
        written = await writeWhole(handle, body as Uint8Array, this.#fsync);
        handleOpen = false;
      }
      if (options.contentLength !== undefined && written !== options.contentLength) {
        throw new BackupError(
          'invalid_request',
          `put of ${key}: body had ${written} bytes, contentLength said ${options.contentLength}`,
          { details: { key } },
        );
      }
      if (signal?.aborted) throw abortedError('put', key, signal.reason);
      await rename(temp, file);
    } catch (error) {
      if (sink && !sink.closed)
        await new Promise<void>((resolve) => sink.destroy().once('close', () => resolve()));
      if (!sink && handleOpen) await handle.close().catch(() => {});
      await rm(temp, { force: true }).catch(() => {});
      if (body instanceof Readable && !body.destroyed) body.destroy();
      if (signal?.aborted) throw abortedError('put', key, signal.reason);
      throw toStorageError(error, 'put', key, 'write');
    }
    // The rename is only durable once the directory entry is on disk.
    if (!this.#fsync) return;
    await syncDirectory(directory).catch((error: unknown) => {
      throw toStorageError(error, 'put', key, 'write');
    });
  }

  /**
   * Streams an object or a byte range of it. A range past the end yields the bytes up to the
   * end (possibly none).
   * @throws BackupError `not_found`, `invalid_request` (bad key or range), `aborted`, `access_denied`, `storage_error`.
   */
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    keyToPath(this.#root, key);
    const { signal, range } = options;
    if (range) validateRange(range, key);
    if (signal?.aborted) throw abortedError('get', key, signal.reason);
    let handle: FileHandle;
    let size: number;
    let file: string | null;
    try {
      file = await this.#existingPath(key, 'get');
      if (file === null) throw new BackupError('not_found', `No object at key ${key}`, { details: { key } });
      handle = await open(file, READ_FLAGS);
    } catch (error) {
      throw toStorageError(error, 'get', key);
    }
    try {
      if (!this.#local.opened(handle)) {
        this.#local.forget(path.dirname(file));
        throw escapedRootError('get', key);
      }
      const info = await handle.stat();
      if (!info.isFile()) throw new BackupError('not_found', `No object at key ${key}`, { details: { key } });
      size = info.size;
    } catch (error) {
      await handle.close().catch(() => {});
      throw toStorageError(error, 'get', key);
    }
    const start = range?.offset ?? 0;
    const end = range?.length === undefined ? size - 1 : Math.min(size - 1, start + range.length - 1);
    if (start > end) {
      await handle.close();
      return Readable.from([]);
    }
    // The stream owns the handle from here (autoClose) and closes it on end or destroy.
    const stream = handle.createReadStream({ start, end });
    return signal ? addAbortSignal(signal, stream) : stream;
  }

  /** @throws BackupError `invalid_request`, `access_denied`, `storage_error` (never `not_found`). */
  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    keyToPath(this.#root, key);
    if (options.signal?.aborted) throw abortedError('head', key, options.signal.reason);
    try {
      const file = await this.#existingPath(key, 'head');
      if (file === null) return null;
      const info = await lstat(file);
      if (!info.isFile()) return null;
      return { key, size: info.size, lastModified: info.mtime };
    } catch (error) {
      if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return null;
      throw toStorageError(error, 'head', key);
    }
  }

  /**
   * Every object whose key starts with `prefix`, walking directories lazily (one open
   * directory handle per level, entries read in batches), skipping in-flight temp files.
   * @throws BackupError `invalid_request`, `aborted`, `access_denied`, `storage_error`.
   */
  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    prefixToLocation(this.#root, prefix);
    const root = await this.#realRoot('list', prefix);
    if (root === null) return;
    const location = prefixToLocation(root, prefix);
    // Checked afresh: a listing reads a whole directory, unlike a get it has no handle to check.
    const exists = await this.#local
      .exists(location.directory, prefix, 'list', true)
      .catch((error: unknown) => {
        throw toStorageError(error, 'list', prefix || '/');
      });
    if (!exists) return;
    yield* this.#walk(location.directory, location.directoryKey, location.namePrefix, options.signal);
  }

  /** Removes an object and any directories it leaves empty. @throws BackupError `invalid_request`, `access_denied`, `storage_error`. */
  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    keyToPath(this.#root, key);
    if (options.signal?.aborted) throw abortedError('delete', key, options.signal.reason);
    let file: string | null = null;
    try {
      file = await this.#existingPath(key, 'delete', true);
      if (file === null) return;
      // unlink never follows a symlink: a planted link is removed, never what it points at.
      await unlink(file);
    } catch (error) {
      // A missing key, or a key that is only a directory of other keys, has no object to delete.
      if (hasErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) return;
      throw toStorageError(error, 'delete', key, 'write');
    }
    await this.#pruneEmptyDirectories(path.dirname(file));
  }

  /**
   * Removes temp files that puts of crashed processes left behind (a killed put never becomes
   * visible, but its temp file stays). Only files older than `olderThanMs` (default one day)
   * are touched, so in-flight puts of live processes are safe. Returns how many were removed.
   * @throws BackupError `access_denied`, `storage_error`.
   */
  async removeStaleTempFiles(options: { olderThanMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    const cutoff = Date.now() - (options.olderThanMs ?? 24 * 60 * 60 * 1000);
    let removed = 0;
    const visit = async (directory: string): Promise<void> => {
      let dir: Dir;
      try {
        dir = await opendir(directory, { bufferSize: 256 });
      } catch (error) {
        if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return;
        throw toStorageError(error, 'removeStaleTempFiles', path.relative(this.#root, directory) || '/');
      }
      for await (const entry of dir) {
        if (options.signal?.aborted) throw abortedError('removeStaleTempFiles', '/', options.signal.reason);
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) await visit(full);
        else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
          const info = await lstat(full).catch(() => null);
          if (info && info.mtimeMs <= cutoff && (await rm(full, { force: true }).then(() => true))) removed++;
        }
      }
    };
    const root = await this.#realRoot('removeStaleTempFiles', '/');
    if (root !== null) await visit(root);
    return removed;
  }

  /** The real root, created (and made durable) when missing. */
  async #createRoot(): Promise<string> {
    const existing = await this.#local.real();
    if (existing !== null) return existing;
    const created = await mkdir(this.#root, { recursive: true });
    if (created !== undefined && this.#fsync) await syncNewDirectories(created, this.#root);
    const root = await this.#local.real();
    if (root === null) throw new BackupError('storage_error', `The storage root vanished: ${this.#root}`);
    return root;
  }

  async #realRoot(operation: string, key: string): Promise<string | null> {
    return this.#local.real().catch((error: unknown) => {
      throw toStorageError(error, operation, key);
    });
  }

  /** The path of `key` under the real root, or null when its directory does not exist. */
  async #existingPath(key: string, operation: string, fresh = false): Promise<string | null> {
    const root = await this.#local.real();
    if (root === null) return null;
    const file = keyToPath(root, key);
    return (await this.#local.exists(path.dirname(file), key, operation, fresh)) ? file : null;
  }

  async #createTemp(directory: string, temp: string, key: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.#local.create(directory, key);
        if (created !== undefined && this.#fsync) await syncNewDirectories(created, directory);
        const handle = await open(temp, 'wx');
        if (this.#local.opened(handle)) return handle;
        // Created through a directory swapped for a symlink since it was checked: undo, check again.
        await handle.close().catch(() => {});
        await rm(temp, { force: true }).catch(() => {});
        this.#local.forget(directory);
        if (attempt >= MKDIR_ATTEMPTS) throw escapedRootError('put', key);
      } catch (error) {
        // A concurrent delete may prune the directory between mkdir and open: create it again.
        if (hasErrno(error, 'ENOENT') && attempt < MKDIR_ATTEMPTS) {
          this.#local.forget(directory);
          continue;
        }
        throw toStorageError(error, 'put', key, 'write');
      }
    }
  }

  async #pruneEmptyDirectories(directory: string): Promise<void> {
    const root = await this.#local.real();
    if (root === null) return;
    let current = directory;
    while (current !== root && current.startsWith(root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or racing a put): stop pruning
      }
      this.#local.forget(current);
      current = path.dirname(current);
    }
  }

  async *#walk(
    directory: string,
    directoryKey: string,
    namePrefix: string,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ObjectInfo> {
    let dir: Dir;
    try {
      dir = await opendir(directory, { bufferSize: 256 });
    } catch (error) {
      if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return;
      throw toStorageError(error, 'list', directoryKey || '/');
    }
    // for-await closes the Dir on completion, on error and when the consumer stops early.
    for await (const entry of dir) {
      if (signal?.aborted) throw abortedError('list', directoryKey || '/', signal.reason);
      if (!entry.name.startsWith(namePrefix) || entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = directoryKey + entry.name;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        yield* this.#walk(full, `${key}/`, '', signal);
      } else if (entry.isFile()) {
        const info = await lstat(full).catch((error: unknown) => {
          if (hasErrno(error, 'ENOENT')) return null; // deleted while listing
          throw toStorageError(error, 'list', key);
        });
        if (info?.isFile()) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }
}

function validateRange(range: { offset: number; length?: number }, key: string): void {
  const badOffset = !Number.isSafeInteger(range.offset) || range.offset < 0;
  const badLength = range.length !== undefined && (!Number.isSafeInteger(range.length) || range.length < 0);
  if (badOffset || badLength) {
    throw new BackupError('invalid_request', `Invalid byte range for ${key}`, {
      details: { key, offset: range.offset, length: range.length },
    });
  }
}

/** Writes all of `body` at the start of the file, fsyncs it (when asked) and closes the handle; returns the bytes written. */
async function writeWhole(handle: FileHandle, body: Uint8Array, fsync: boolean): Promise<number> {
  let at = 0;
  while (at < body.length) {
    const { bytesWritten } = await handle.write(body, at, body.length - at, at);
    at += bytesWritten;
  }
  if (fsync) await handle.sync();
  await handle.close();
  return at;
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p created `first`..`last`: each new entry is durable once its parent is synced. */
async function syncNewDirectories(first: string, last: string): Promise<void> {
  const stop = path.dirname(first);
  for (let current = last; ; current = path.dirname(current)) {
    const parent = path.dirname(current);
    await syncDirectory(parent);
    if (parent === stop || parent === current) return;
  }
}
