import { randomBytes } from 'node:crypto';

export type IdPrefix = 'job' | 'exec' | 'backup' | 'restore' | 'verify' | 'audit';

/** Prefixed, unguessable ids (`job_…`, `backup_…`): 128 random bits, hex. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

/** Ids arrive in URLs: only this shape is ever looked up (no traversal, no SQL meta-characters). */
export function isWellFormedId(value: string, prefix?: IdPrefix): boolean {
  const match = /^([a-z]+)_[A-Za-z0-9_-]{1,64}$/.exec(value);
  return match !== null && (prefix === undefined || match[1] === prefix);
}
