import { BackupError, ignoreNotFound, nullIfNotFound } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

/** A not_found made by another copy of the package: recognised by its brand, not instanceof. */
function foreignNotFound(): Error {
  class OtherBackupError extends Error {
    override readonly name = 'BackupError';
    readonly code = 'not_found';
  }
  Object.defineProperty(OtherBackupError.prototype, Symbol.for('backupkit.BackupError'), { value: true });
  return new OtherBackupError('foreign');
}

const notFound = new BackupError('not_found', 'No object at k');
const denied = new BackupError('access_denied', 'refused');
const raw = new Error('not a BackupError');

describe('nullIfNotFound (for head)', () => {
  it('answers null for not_found, from this copy of core or another', () => {
    expect(nullIfNotFound(notFound)).toBeNull();
    expect(nullIfNotFound(foreignNotFound())).toBeNull();
  });

  it('rethrows every other failure as it is', () => {
    expect(() => nullIfNotFound(denied)).toThrow(denied);
    expect(() => nullIfNotFound(raw)).toThrow(raw);
  });
});

describe('ignoreNotFound (for delete)', () => {
  it('swallows not_found, from this copy of core or another', () => {
    expect(ignoreNotFound(notFound)).toBeUndefined();
    expect(ignoreNotFound(foreignNotFound())).toBeUndefined();
  });

  it('rethrows every other failure as it is', () => {
    expect(() => ignoreNotFound(denied)).toThrow(denied);
    expect(() => ignoreNotFound(raw)).toThrow(raw);
  });
});
