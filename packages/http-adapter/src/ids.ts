import { randomBytes } from 'node:crypto';

/** Time source (structurally core's `Clock`); tests pass a fixed one. */
export interface AdapterClock {
  now(): Date;
}

export const wallClock: AdapterClock = { now: () => new Date() };

/** `audit_<32 hex>`, the same shape as core's prefixed ids. */
export function newAuditId(): string {
  return `audit_${randomBytes(16).toString('hex')}`;
}

/**
 * Ids arrive in URLs: only `<prefix>_<1-64 of [A-Za-z0-9_-]>` is ever passed on (no
 * traversal, no SQL meta-characters), matching the ids the service issues.
 */
export function isWellFormedId(value: string, prefix: string): boolean {
  const match = /^([a-z]+)_[A-Za-z0-9_-]{1,64}$/.exec(value);
  return match !== null && match[1] === prefix;
}
