import { randomBytes } from 'node:crypto';

/** A `BACKUPKIT_KEYS` value with one fresh master key. */
export function freshKeys(id = 'k1'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
