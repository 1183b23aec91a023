import { safeErrorCode, upstreamFailureSummary } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

describe('upstreamFailureSummary', () => {
  it('says status and a short code, nothing else', () => {
    expect(upstreamFailureSummary({ status: 403, code: 'AccessDenied' })).toBe('HTTP 403 AccessDenied');
    expect(upstreamFailureSummary({ status: 500 })).toBe('HTTP 500');
    expect(upstreamFailureSummary({ code: 'ECONNREFUSED' })).toBe('ECONNREFUSED');
    expect(upstreamFailureSummary({})).toBe('no response');
    expect(upstreamFailureSummary({ status: 500, code: '<html><title>internal</title>' })).toBe('HTTP 500');
    expect(upstreamFailureSummary({ status: 500, code: 'A'.repeat(65) })).toBe('HTTP 500');
    expect(upstreamFailureSummary({ status: 1.5, code: 42 })).toBe('no response');
  });

  it('accepts only [A-Za-z0-9._-]{1,64} as a code', () => {
    expect(safeErrorCode('KMS.AccessDeniedException')).toBe('KMS.AccessDeniedException');
    expect(safeErrorCode('A'.repeat(64))).toBe('A'.repeat(64));
    for (const bad of ['', 'A'.repeat(65), 'Access Denied', 'x\ny', 404, null, undefined, { code: 'x' }])
      expect(safeErrorCode(bad), String(bad)).toBeUndefined();
  });
});
