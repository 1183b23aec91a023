import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../src/env.js';

const base = { BACKUPKIT_API_TOKENS: 'tok-123456:ops', BACKUPKIT_DATA_DIR: path.join(os.tmpdir(), 'bk-env') };

function refusal(env: Record<string, string>): { code: string; details: Record<string, unknown> } {
  try {
    configFromEnv({ ...base, ...env });
  } catch (error) {
    return error as { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected configFromEnv to refuse the environment');
}

describe('the access policy and limits from the environment', () => {
  it('touches no directory and no per-job endpoint, and allows any database host, when unset', async () => {
    const { access, rateLimits } = configFromEnv(base);
    expect(access.sourceRoots).toEqual([]);
    expect(access.restoreRoots).toEqual([]);
    expect(access.allowExternalSymlinks).toBe(false);
    expect(await access.allowEndpoint?.(new URL('http://127.0.0.1:9000'))).toBe(false);
    expect(access.allowDatabase).toBeUndefined();
    expect(rateLimits).toEqual({});
  });

  it('reads roots, endpoints, database hosts, the schedule interval and rate limits', async () => {
    const { access, rateLimits } = configFromEnv({
      ...base,
      BACKUPKIT_SOURCE_ROOTS: '/srv/a, /srv/b',
      BACKUPKIT_RESTORE_ROOTS: '/srv/restores',
      BACKUPKIT_ALLOW_EXTERNAL_SYMLINKS: 'true',
      BACKUPKIT_ALLOWED_ENDPOINTS: 'http://127.0.0.1:9000/',
      BACKUPKIT_DATABASE_HOSTS: 'db.internal:5432,unix',
      BACKUPKIT_MIN_SCHEDULE_INTERVAL: '300',
      BACKUPKIT_RATE_LIMITS: 'job_creation:20,restore_creation:3/600,verification:off',
    });
    expect(access.sourceRoots).toEqual(['/srv/a', '/srv/b']);
    expect(access.restoreRoots).toEqual(['/srv/restores']);
    expect(access.allowExternalSymlinks).toBe(true);
    expect(await access.allowEndpoint?.(new URL('http://127.0.0.1:9000/bucket?x=1'))).toBe(true);
    expect(await access.allowEndpoint?.(new URL('http://127.0.0.1:9001'))).toBe(false);
    const target = { port: 5432, socket: false, database: 'app', user: 'u' };
    expect(await access.allowDatabase?.({ ...target, host: 'db.internal' })).toBe(true);
    expect(await access.allowDatabase?.({ ...target, host: 'other.internal' })).toBe(false);
    expect(access.minScheduleIntervalSeconds).toBe(300);
    expect(rateLimits).toEqual({
      job_creation: { limit: 20, windowSeconds: 3600 },
      restore_creation: { limit: 3, windowSeconds: 600 },
      verification: false,
    });
  });

  it('refuses malformed values, naming the variable', () => {
    for (const [variable, value] of [
      ['BACKUPKIT_SOURCE_ROOTS', 'relative/dir'],
      ['BACKUPKIT_RESTORE_ROOTS', './x'],
      ['BACKUPKIT_ALLOWED_ENDPOINTS', 'not a url'],
      ['BACKUPKIT_MIN_SCHEDULE_INTERVAL', 'ten'],
      ['BACKUPKIT_RATE_LIMITS', 'job_creation=5'],
      ['BACKUPKIT_RATE_LIMITS', 'everything:5'],
    ] as const) {
      const error = refusal({ [variable]: value });
      expect(error.code, variable).toBe('invalid_backup_config');
      expect(error.details.variable, value).toBe(variable);
    }
  });
});
