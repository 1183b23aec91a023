import {
  BackupError,
  callAbortedError,
  driverCallError,
  isBackupError,
  notFoundError,
  throwIfCallAborted,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';

function firedSignal(reason: unknown = new Error('stop')): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

describe('callAbortedError', () => {
  it('names the operation and key, keeps the signal reason as cause, and is not retryable', () => {
    const reason = new Error('user cancelled');
    const error = callAbortedError('put', 'chunks/ab', firedSignal(reason));
    expect(isBackupError(error, 'aborted')).toBe(true);
    expect(error.message).toBe('put of chunks/ab was cancelled');
    expect(error.details).toEqual({ key: 'chunks/ab', operation: 'put' });
    expect(error.cause).toBe(reason);
    expect(error.retryable).toBe(false);
  });

  it('has no cause without a signal', () => {
    const error = callAbortedError('list', 'snapshots/');
    expect(error.code).toBe('aborted');
    expect(error.cause).toBeUndefined();
  });
});

describe('throwIfCallAborted', () => {
  it('returns without a signal or with one that has not fired', () => {
    expect(() => throwIfCallAborted('get', 'k', undefined)).not.toThrow();
    expect(() => throwIfCallAborted('get', 'k', new AbortController().signal)).not.toThrow();
  });

  it('throws aborted for the call once the signal fired', () => {
    expect(() => throwIfCallAborted('get', 'k', firedSignal())).toThrow(
      expect.objectContaining({ code: 'aborted', message: 'get of k was cancelled' }),
    );
  });
});

describe('notFoundError', () => {
  it('says where the object is missing', () => {
    const error = notFoundError('get', 'a/b', 's3://bucket/prefix/a/b');
    expect(isBackupError(error, 'not_found')).toBe(true);
    expect(error.message).toBe('No object at s3://bucket/prefix/a/b');
    expect(error.details).toEqual({ key: 'a/b', operation: 'get' });
    expect(error.retryable).toBe(false);
  });

  it('names the key when no location is given', () => {
    expect(notFoundError('head', 'a/b').message).toBe('No object at a/b');
  });
});

describe('driverCallError', () => {
  const mapped = new BackupError('unavailable', 'mapped by the driver');

  it('answers aborted once the signal fired, whatever the client threw, without mapping', () => {
    let calls = 0;
    const reason = new Error('stop');
    const error = driverCallError(
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'get',
      'k',
      firedSignal(reason),
      () => {
        calls++;
        return mapped;
      },
    );
    expect(isBackupError(error, 'aborted')).toBe(true);
    expect(error.details).toEqual({ key: 'k', operation: 'get' });
    expect(error.cause).toBe(reason);
    expect(calls).toBe(0);
  });

  it("hands anything else to the driver's mapping", () => {
    const raw = new Error('503');
    const seen: unknown[] = [];
    const map = (error: unknown) => {
      seen.push(error);
      return mapped;
    };
    expect(driverCallError(raw, 'put', 'k', undefined, map)).toBe(mapped);
    expect(driverCallError(raw, 'put', 'k', new AbortController().signal, map)).toBe(mapped);
    expect(seen).toEqual([raw, raw]);
  });
});
