import { BackupError, isBackupError, toBackupError } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

/** A BackupError made by another copy of the package (another bundle, a duplicate install). */
function foreignBackupError(code: string): Error {
  class OtherBackupError extends Error {
    override readonly name = 'BackupError';
    readonly details = {};
    readonly retryable = false;
    constructor(readonly code: string) {
      super(`foreign ${code}`);
    }
  }
  Object.defineProperty(OtherBackupError.prototype, Symbol.for('backupkit.BackupError'), { value: true });
  return new OtherBackupError(code);
}

describe('BackupError identity across copies of the package', () => {
  it('isBackupError recognises the brand, not only instanceof', () => {
    const foreign = foreignBackupError('not_found');
    expect(foreign instanceof BackupError).toBe(false);
    expect(isBackupError(foreign)).toBe(true);
    expect(isBackupError(foreign, 'not_found')).toBe(true);
    expect(isBackupError(foreign, 'aborted')).toBe(false);
  });

  it('toBackupError keeps a foreign BackupError as it is', () => {
    const foreign = foreignBackupError('aborted');
    expect(toBackupError(foreign)).toBe(foreign);
  });

  it('the brand is neither enumerable nor serialized', () => {
    const error = new BackupError('conflict', 'taken', { details: { id: 'x' } });
    expect(isBackupError(error, 'conflict')).toBe(true);
    expect(Object.getOwnPropertySymbols(error)).toEqual([]); // on the prototype
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: 'conflict',
      message: 'taken',
      details: { id: 'x' },
    });
  });

  it('rejects look-alikes without the brand', () => {
    expect(isBackupError({ name: 'BackupError', code: 'not_found' })).toBe(false);
    expect(isBackupError(null)).toBe(false);
    expect(isBackupError('not_found')).toBe(false);
  });
});
