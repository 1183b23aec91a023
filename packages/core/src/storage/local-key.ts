import path from 'node:path';
import { BackupError } from '../errors.js';

/** Prefix of in-flight upload files; never a valid key segment, never listed. */
export const TEMP_PREFIX = '.backupkit-tmp-';

function invalid(message: string, key: string): BackupError {
  return new BackupError('invalid_request', message, { details: { key } });
}

/**
 * Checks the `/`-separated segments of a key or of a listing prefix's directory part.
 * `allowEmptyLast` admits a trailing `/` (prefixes only).
 */
function checkSegments(value: string, segments: string[], allowEmptyLast: boolean): void {
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '' && !(last && allowEmptyLast))
      throw invalid('Storage keys cannot have empty segments', value);
    if (segment === '.' || segment === '..')
      throw invalid('Storage keys cannot contain "." or ".." segments', value);
    if (segment.startsWith(TEMP_PREFIX))
      throw invalid(`Storage key segments cannot start with ${TEMP_PREFIX}`, value);
  });
}

function checkCharacters(value: string): void {
  if (value.startsWith('/')) throw invalid('Storage keys are relative and cannot start with "/"', value);
  if (value.includes('\\')) throw invalid('Storage keys cannot contain a backslash', value);
  if (value.includes('\0')) throw invalid('Storage keys cannot contain NUL', value);
}

/** Joins and then re-checks containment, so no key can ever name a path outside `root`. */
function contained(root: string, value: string, relative: string): string {
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    throw invalid('Storage key escapes the storage root', value);
  }
  return resolved;
}

/**
 * The absolute path of an object key under `root` (an absolute, normalised directory).
 * @throws BackupError `invalid_request` for empty, absolute, `..`, backslash or NUL keys.
 */
export function keyToPath(root: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0)
    throw invalid('Storage keys must be non-empty strings', String(key));
  checkCharacters(key);
  checkSegments(key, key.split('/'), false);
  const resolved = contained(root, key, key);
  if (resolved === root) throw invalid('Storage key names the storage root', key);
  return resolved;
}

/** A listing prefix split into the directory to walk and the name prefix to match in it. */
export interface PrefixLocation {
  /** Absolute directory holding every match. */
  directory: string;
  /** The directory's key form, `''` or ending in `/`. */
  directoryKey: string;
  /** Names in `directory` must start with this. */
  namePrefix: string;
}

/**
 * Where `prefix` points: `chunks/a` walks `chunks/` for names starting with `a`.
 * @throws BackupError `invalid_request` for prefixes a key could never have.
 */
export function prefixToLocation(root: string, prefix: string): PrefixLocation {
  if (typeof prefix !== 'string') throw invalid('Listing prefixes must be strings', String(prefix));
  if (prefix === '') return { directory: root, directoryKey: '', namePrefix: '' };
  checkCharacters(prefix);
  const slash = prefix.lastIndexOf('/');
  const directoryKey = prefix.slice(0, slash + 1);
  const namePrefix = prefix.slice(slash + 1);
  if (namePrefix.includes('\0')) throw invalid('Storage keys cannot contain NUL', prefix);
  if (directoryKey !== '') checkSegments(prefix, directoryKey.split('/'), true);
  return { directory: contained(root, prefix, directoryKey), directoryKey, namePrefix };
}
