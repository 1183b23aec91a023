import { apiTokenAuthenticator } from '@backupkit/http-adapter';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import {
  createFixture,
  createSourceDatabase,
  type Fixture,
  SENTINEL,
  withPassword,
} from './support/fixture.js';
import { type ApiReply, type ApiServer, call, FRAMEWORKS } from './support/servers.js';

/** The documented shape, exactly: `{ error, message, details }`. */
function expectError(reply: ApiReply, status: number, code: string): Record<string, unknown> {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  const body = reply.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message']);
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(typeof body.details).toBe('object');
  expect(reply.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body.details as Record<string, unknown>;
}

const CRASH_TOKEN = 'token-that-makes-the-hook-crash';

let source: TempDatabase;
beforeAll(async () => {
  source = await createSourceDatabase(20_000);
});
afterAll(async () => {
  await source?.drop();
});

describe.each(FRAMEWORKS)('documented error table on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  const alice = SENTINEL.tokenAlice;
  const bob = SENTINEL.tokenBob;
  const validJob = () => ({
    job_name: 'errors',
    source: { type: 'database', connection_string: withPassword(source.url) },
    destination: { type: 'local', path: 'errors/' },
  });

  beforeAll(async () => {
    fixture = await createFixture();
    const tokens = apiTokenAuthenticator({ [alice]: 'alice', [bob]: 'bob' });
    server = await start(
      fixture.handlerOptions({
        authenticate: (request) => {
          if (request.headers.authorization === `Bearer ${CRASH_TOKEN}`)
            throw new Error('hook exploded at /secret');
          return tokens(request);
        },
        // bob may read but not change anything
        authorize: (principal, action) =>
          principal.id === 'alice' || !/create|update|delete|execute|cancel|verify|apply/.test(action),
        rateLimits: { restore_creation: { limit: 1, windowSeconds: 3600 } },
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('400 invalid_backup_config: unknown storage type, unknown key id, path leaving the root', async () => {
    const noDriver = await call(server.url, 'POST', '/jobs', {
      token: alice,
      body: { ...validJob(), destination: { type: 'nosuchstore', path: 'x/' } },
    });
    expectError(noDriver, 400, 'invalid_backup_config');
    const noKey = await call(server.url, 'POST', '/jobs', {
      token: alice,
      body: { ...validJob(), encryption: { enabled: true, key_id: 'no-such-key' } },
    });
    expectError(noKey, 400, 'invalid_backup_config');
    const leaving = await call(server.url, 'POST', '/jobs', {
      token: alice,
      body: { ...validJob(), destination: { type: 'local', path: '../../../etc/' } },
    });
    expectError(leaving, 400, 'invalid_backup_config');
  });

  test('400 invalid_request: not JSON, wrong content type, unknown query value or parameter', async () => {
    expectError(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        rawBody: '{"job_name": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_request',
    );
    expectError(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        rawBody: JSON.stringify(validJob()),
        headers: { 'content-type': 'text/plain' },
      }),
      400,
      'invalid_request',
    );
    const badStatus = expectError(
      await call(server.url, 'GET', '/files?status=bogus', { token: alice }),
      400,
      'invalid_request',
    );
    expect(badStatus.issues).toEqual([expect.stringContaining('status')]);
    expectError(await call(server.url, 'GET', '/files?limit=501', { token: alice }), 400, 'invalid_request');
    expectError(await call(server.url, 'GET', '/files?colour=red', { token: alice }), 400, 'invalid_request');
  });

  test('401 unauthorized: no credentials, unknown token', async () => {
    const none = await call(server.url, 'GET', '/jobs');
    expectError(none, 401, 'unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expectError(await call(server.url, 'GET', '/jobs', { token: 'not-a-token' }), 401, 'unauthorized');
    // health is public in this configuration
    expect((await call(server.url, 'GET', '/health')).status).toBe(200);
  });

  test('403 forbidden: authenticated but not allowed', async () => {
    expectError(await call(server.url, 'POST', '/jobs', { token: bob, body: validJob() }), 403, 'forbidden');
    expect((await call(server.url, 'GET', '/jobs', { token: bob })).status).toBe(200);
  });

  test('404 for each kind of unknown id (well-formed or not)', async () => {
    expectError(
      await call(server.url, 'GET', '/jobs/job_00000000000000000000000000000000/status', { token: alice }),
      404,
      'job_not_found',
    );
    expectError(
      await call(server.url, 'GET', '/jobs/not-an-id/status', { token: alice }),
      404,
      'job_not_found',
    );
    expectError(
      await call(server.url, 'POST', '/backups/backup_0000000000000000/verify', { token: alice, body: {} }),
      404,
      'backup_not_found',
    );
    expectError(
      await call(server.url, 'GET', '/restores/restore_0000000000/status', { token: alice }),
      404,
      'restore_not_found',
    );
    expectError(
      await call(server.url, 'POST', '/executions/exec_0000000000/cancel', { token: alice }),
      404,
      'execution_not_found',
    );
    expectError(
      await call(server.url, 'GET', '/verifications/verify_0000000000', { token: alice }),
      404,
      'verification_not_found',
    );
    expectError(await call(server.url, 'GET', '/no/such/endpoint', { token: alice }), 404, 'not_found');
  });

  test('409 execution_in_progress: a second run while the first is running', async () => {
    const job = (await call(server.url, 'POST', '/jobs', { token: alice, body: validJob() })).body as {
      job_id: string;
    };
    const first = await call(server.url, 'POST', `/jobs/${job.job_id}/execute`, { token: alice });
    expect(first.status, first.text).toBe(202);
    const second = await call(server.url, 'POST', `/jobs/${job.job_id}/execute`, { token: alice });
    expectError(second, 409, 'execution_in_progress');
    await fixture.service.waitFor((first.body as { execution_id: string }).execution_id, {
      timeoutMs: 60_000,
    });
  });

  test('413 payload_too_large: a body over 1 MiB', async () => {
    const big = JSON.stringify({ job_name: 'x'.repeat(2 * 1024 * 1024) });
    expectError(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        rawBody: big,
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'payload_too_large',
    );
  });

  test('422 validation_failed lists every issue', async () => {
    const details = expectError(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        body: { source: { type: 'database' }, schedule: { frequency: 'sometimes' } },
      }),
      422,
      'validation_failed',
    );
    expect(details.issues).toEqual(
      expect.arrayContaining([
        'Missing required field: job_name',
        'Missing required field: destination',
        expect.stringContaining('Invalid schedule configuration'),
      ]),
    );
  });

  test('429 rate_limited with Retry-After and details.retry_after', async () => {
    const body = {
      backup_id: 'backup_0000000000000000',
      destination: { type: 'database', connection_string: withPassword(source.url) },
    };
    expectError(await call(server.url, 'POST', '/restores', { token: alice, body }), 404, 'backup_not_found');
    const limited = await call(server.url, 'POST', '/restores', { token: alice, body });
    const details = expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(details.retry_after).toBe(retryAfter);
  });

  test('500 internal_error: no stack trace, no internals in the body', async () => {
    const crashed = await call(server.url, 'GET', '/jobs', { token: CRASH_TOKEN });
    expectError(crashed, 500, 'internal_error');
    expect(crashed.text).not.toContain('exploded');
    expect(crashed.text).not.toContain('/secret');
  });
});
