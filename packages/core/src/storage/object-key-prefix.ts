import { BackupError } from '../errors.js';

function invalid(message: string, key: string): BackupError {
  return new BackupError('invalid_request', message, { details: { key } });
}

function checkCharacters(value: string): void {
  if (value.startsWith('/')) throw invalid('Storage keys are relative and cannot start with "/"', value);
  if (value.includes('\\')) throw invalid('Storage keys cannot contain a backslash', value);
  if (value.includes('\0')) throw invalid('Storage keys cannot contain NUL', value);
}

function checkSegments(value: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === '') throw invalid('Storage keys cannot have empty segments', value);
    if (segment === '.' || segment === '..')
      throw invalid('Storage keys cannot contain "." or ".." segments', value);
  }
}

/**
 * Checks a storage key the way every driver must (the local driver's rules, so a repository
 * moves between stores unchanged): non-empty, relative, `/`-separated, no empty, `.` or `..`
 * segments, no backslash or NUL.
 * @throws BackupError `invalid_request`
 */
export function assertStorageKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw invalid('Storage keys must be non-empty strings', String(key));
  checkCharacters(key);
  checkSegments(key, key.split('/'));
}

/**
 * Maps driver keys to object names under a fixed prefix (a bucket's or container's `path`)
 * and back, for object-store drivers: `new ObjectKeyPrefix('backups/db')` stores `repo.json` as
 * `backups/db/repo.json`.
 */
export class ObjectKeyPrefix {
  /** `''` or a prefix ending in `/`. */
  readonly prefix: string;

  /** @throws BackupError `invalid_backup_config` when `path` has `.`/`..` segments, a backslash or NUL. */
  constructor(path = '') {
    const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (trimmed !== '') {
      try {
        checkCharacters(trimmed);
        checkSegments(trimmed, trimmed.split('/'));
      } catch (error) {
        throw new BackupError(
          'invalid_backup_config',
          `Invalid storage path prefix: ${(error as Error).message}`,
          {
            cause: error,
            details: { path },
          },
        );
      }
    }
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
  }

  /**
   * The object name of `key`.
   * @throws BackupError `invalid_request` for keys that break {@link assertStorageKey}.
   */
  toName(key: string): string {
    assertStorageKey(key);
    return this.prefix + key;
  }

  /**
   * The object-name prefix to list for a key prefix (`''` lists everything under the root).
   * @throws BackupError `invalid_request` for a prefix no key could start with.
   */
  toListPrefix(keyPrefix: string): string {
    if (typeof keyPrefix !== 'string') throw invalid('Listing prefixes must be strings', String(keyPrefix));
    if (keyPrefix !== '') checkCharacters(keyPrefix);
    return this.prefix + keyPrefix;
  }

  /** The key of an object name, or `undefined` for a name outside the prefix. */
  toKey(name: string): string | undefined {
    if (!name.startsWith(this.prefix)) return undefined;
    const key = name.slice(this.prefix.length);
    return key === '' ? undefined : key;
  }
}
