import { objectInfo } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

describe('objectInfo', () => {
  it('takes what the store reports, dropping the quotes around an ETag', () => {
    const lastModified = new Date('2026-01-02T03:04:05Z');
    expect(objectInfo('a/b', { size: 12, lastModified, etag: '"9b2cf535f27731c974343645a3985328"' })).toEqual(
      {
        key: 'a/b',
        size: 12,
        lastModified,
        etag: '9b2cf535f27731c974343645a3985328',
      },
    );
  });

  it('keeps the Date it is given and an ETag without quotes as it is', () => {
    const lastModified = new Date(5);
    const info = objectInfo('k', { size: 1, lastModified, etag: 'CKih16GjycICEAE=' });
    expect(info.lastModified).toBe(lastModified);
    expect(info.etag).toBe('CKih16GjycICEAE=');
  });

  it('reads sizes and times given as text (headers, JSON APIs)', () => {
    const info = objectInfo('k', { size: '100003', lastModified: '2026-01-02T03:04:05.000Z' });
    expect(info.size).toBe(100_003);
    expect(info.lastModified.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(objectInfo('k', { lastModified: 1_000 }).lastModified.getTime()).toBe(1_000);
  });

  it('makes a missing size 0 and a missing time the epoch', () => {
    for (const missing of [undefined, null]) {
      const info = objectInfo('k', { size: missing, lastModified: missing, etag: missing });
      expect(info).toEqual({ key: 'k', size: 0, lastModified: new Date(0) });
      expect('etag' in info).toBe(false);
    }
  });

  it('leaves out an empty ETag and a missing checksum, keeps a given checksum', () => {
    expect('etag' in objectInfo('k', { etag: '' })).toBe(false);
    expect('etag' in objectInfo('k', { etag: '""' })).toBe(false);
    expect('checksum' in objectInfo('k', { checksum: undefined })).toBe(false);
    const checksum = { algorithm: 'crc32c' as const, value: 'e3069283' };
    expect(objectInfo('k', { checksum }).checksum).toEqual(checksum);
  });
});
