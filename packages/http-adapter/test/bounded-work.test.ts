import type { AddressInfo } from 'node:net';
import {
  AUTH_FAILURES_COUNTER,
  type BackupHandlerOptions,
  createBackupHandler,
  DEFAULT_RATE_LIMITS,
} from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupPlugin } from '@backupkit/http-adapter/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminDatabaseUrl } from '../../../test-support/postgres.js';
import { createFixture, type Fixture, SENTINEL } from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS, startExpress } from './support/servers.js';

type Json = Record<string, unknown>;

/** Mid-window: every call of a test falls in the hour starting 10:00. */
const clock = { now: () => new Date('2026-03-10T10:30:00Z') };
const HOUR = '2026-03-10T10:00:00.000Z';
const alice = SENTINEL.tokenAlice;
const DEPTH_MESSAGE = 'Request body nests deeper than 32 levels';

/** A valid job body whose `destination` holds an object nested `levels` deep, as JSON text. */
function deepJobText(levels: number): string {
  const head = JSON.stringify({
    job_name: 'deep',
    source: { type: 'database', connection_string: adminDatabaseUrl() },
    destination: { type: 'local', path: 'deep/' },
  }).slice(0, -2);
  return `${head},"extra":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}}`;
}

/** The same as a value, built without recursion. */
function deepJobValue(levels: number): Json {
  let nested: unknown = 1;
  for (let i = 0; i < levels; i += 1) nested = { a: nested };
  return {
    job_name: 'deep',
    source: { type: 'database', connection_string: adminDatabaseUrl() },
    destination: { type: 'local', path: 'deep/', extra: nested },
  };
}

function expectTooDeep(reply: { status: number; body?: unknown }): void {
  expect(reply.status).toBe(400);
  expect(reply.body).toEqual({
    error: 'invalid_request',
    message: DEPTH_MESSAGE,
    details: { max_depth: 32 },
  });
}

describe.each(FRAMEWORKS)('JSON depth limit on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('a 4,000-level object inside destination is refused before parsing; nothing stored', async () => {
    const reply = await call(server.url, 'POST', '/jobs', {
      token: alice,
      rawBody: deepJobText(4000),
      headers: { 'content-type': 'application/json' },
    });
    expectTooDeep(reply);
    // brackets only, never closed: refused at the 33rd, long before the end of the text
    expectTooDeep(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        rawBody: '['.repeat(500_000),
        headers: { 'content-type': 'application/json' },
      }),
    );
    const list = await call(server.url, 'GET', '/jobs', { token: alice });
    expect(list.status).toBe(200);
    expect((list.body as Json).total).toBe(0);
    expect((await fixture.service.listJobs({})).total).toBe(0);
  });

  test('32 levels pass the depth check, 33 do not; brackets inside strings do not count', async () => {
    const nestedName = (levels: number) => `{"job_name":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const at32 = await call(server.url, 'POST', '/jobs', {
      token: alice,
      rawBody: nestedName(32),
      headers: { 'content-type': 'application/json' },
    });
    expect(at32.status, at32.text).toBe(422);
    expectTooDeep(
      await call(server.url, 'POST', '/jobs', {
        token: alice,
        rawBody: nestedName(33),
        headers: { 'content-type': 'application/json' },
      }),
    );
    // escaped quotes and backslashes must not end the string early
    const description = `\\"${'['.repeat(900)}\\\\"${'{'.repeat(900)}`;
    const patched = await call(server.url, 'PATCH', '/jobs/job_0000', {
      token: alice,
      body: { description },
    });
    expect(patched.status, patched.text).toBe(404);
    expect((patched.body as Json).error).toBe('job_not_found');
  });
});

describe('JSON depth limit on bodies a host parser already parsed', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await createFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  test('Express with express.json() mounted first', async () => {
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.use('/backup', backupRouter(fixture.service, fixture.handlerOptions()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backup`;
      const reply = await call(base, 'POST', '/jobs', {
        token: alice,
        rawBody: deepJobText(4000),
        headers: { 'content-type': 'application/json' },
      });
      expectTooDeep(reply);
      expect((await call(base, 'GET', '/jobs', { token: alice })).status).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
    expect((await fixture.service.listJobs({})).total).toBe(0);
  });

  test('the neutral handler given a parsed value (and a value that is no JSON tree)', async () => {
    const handle = createBackupHandler(fixture.handlerOptions());
    const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json' };
    expectTooDeep(await handle({ method: 'POST', path: '/jobs', headers, body: deepJobValue(4000) }));
    expectTooDeep(await handle({ method: 'POST', path: '/jobs', headers, body: deepJobValue(31) }));
    const cyclic: Json = { job_name: 'cycle' };
    cyclic.self = cyclic;
    const reply = await handle({ method: 'POST', path: '/jobs', headers, body: cyclic });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'invalid_request', message: 'Request body is not plain JSON' });
    const list = await handle({
      method: 'GET',
      path: '/jobs',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(list.status).toBe(200);
    expect((list.body as Json).total).toBe(0);
  });

  test('maxJsonDepth is configurable', async () => {
    const handle = createBackupHandler(fixture.handlerOptions({ maxJsonDepth: 3 }));
    const reply = await handle({
      method: 'PATCH',
      path: '/jobs/job_0000',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      rawBody: '{"retention":{"a":{"b":{}}}}',
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ message: 'Request body nests deeper than 3 levels' });
    expect(() => createBackupHandler(fixture.handlerOptions({ maxJsonDepth: 0 }))).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});

describe('rate limits on every mutating call', () => {
  const NEW_BUCKETS = [
    {
      bucket: 'job_update',
      method: 'PATCH',
      path: '/jobs/job_0000',
      body: { status: 'paused' },
      notFound: 'job_not_found',
    },
    { bucket: 'job_deletion', method: 'DELETE', path: '/jobs/job_0000', notFound: 'job_not_found' },
    {
      bucket: 'execution_cancel',
      method: 'POST',
      path: '/executions/exec_0000/cancel',
      notFound: 'execution_not_found',
    },
    {
      bucket: 'retention_apply',
      method: 'POST',
      path: '/jobs/job_0000/retention/apply',
      notFound: 'job_not_found',
    },
  ] as const;
  let fixture: Fixture;
  let server: ApiServer;
  beforeAll(async () => {
    fixture = await createFixture();
    server = await startExpress(fixture.handlerOptions({ clock }));
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('defaults: job update 100/h, job deletion 50/h, execution cancel 100/h, retention apply 20/h', () => {
    expect(DEFAULT_RATE_LIMITS).toMatchObject({
      job_update: { limit: 100, windowSeconds: 3600 },
      job_deletion: { limit: 50, windowSeconds: 3600 },
      execution_cancel: { limit: 100, windowSeconds: 3600 },
      retention_apply: { limit: 20, windowSeconds: 3600 },
    });
  });

  test.each(NEW_BUCKETS)('$bucket answers 429 with Retry-After past its default limit', async (spec) => {
    const { limit } = DEFAULT_RATE_LIMITS[spec.bucket];
    const options = { token: alice, ...('body' in spec ? { body: spec.body } : {}) };
    for (let i = 1; i <= limit; i += 1) {
      const reply = await call(server.url, spec.method, spec.path, options);
      expect(reply.status, reply.text).toBe(404);
      expect((reply.body as Json).error).toBe(spec.notFound);
      expect(reply.headers.get('ratelimit-remaining')).toBe(String(limit - i));
    }
    const over = await call(server.url, spec.method, spec.path, options);
    expect(over.status, over.text).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1800');
    expect(over.body).toMatchObject({
      error: 'rate_limited',
      details: { retry_after: 1800, limit, bucket: spec.bucket },
    });
    // another principal has its own count
    expect(
      (await call(server.url, spec.method, spec.path, { ...options, token: SENTINEL.tokenBob })).status,
    ).toBe(404);
    // counted in the shared catalog counter (the next increment is call limit + 2)
    expect(await fixture.catalog.incrementRateCounter(`${spec.bucket}:alice`, HOUR)).toBe(limit + 2);
  });

  test('the new buckets are configurable and can be switched off', async () => {
    const handle = createBackupHandler(
      fixture.handlerOptions({
        clock,
        rateLimits: { job_update: { limit: 1, windowSeconds: 60 }, job_deletion: false },
      }),
    );
    const headers = { authorization: `Bearer ${SENTINEL.tokenBob}`, 'content-type': 'application/json' };
    const patch = () =>
      handle({ method: 'PATCH', path: '/jobs/job_1111', headers, rawBody: '{"status":"paused"}' });
    expect((await patch()).status).toBe(404);
    const over = await patch();
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('60');
    for (let i = 0; i < 60; i += 1) {
      const reply = await handle({ method: 'DELETE', path: '/jobs/job_1111', headers });
      expect(reply.status).toBe(404);
      expect(reply.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('failed authentication is counted, not audited row by row', () => {
  let fixture: Fixture;
  let server: ApiServer;
  beforeAll(async () => {
    fixture = await createFixture();
    server = await startExpress(fixture.handlerOptions({ clock }));
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('401s write no audit row, increment the hour counter and are logged; real calls are audited', async () => {
    const job = {
      job_name: 'x',
      source: { type: 'database', connection_string: adminDatabaseUrl() },
      destination: { type: 'local', path: 'x/' },
    };
    const failures = [
      await call(server.url, 'POST', '/jobs', { body: job }),
      await call(server.url, 'POST', '/jobs', { body: job, token: 'not-a-token' }),
      await call(server.url, 'DELETE', '/jobs/job_0000', { token: 'not-a-token' }),
      await call(server.url, 'POST', '/jobs/job_0000/execute', { headers: { 'x-api-key': 'wrong-key' } }),
      await call(server.url, 'GET', '/jobs'),
    ];
    for (const reply of failures) {
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ error: 'unauthorized' });
    }
    expect((await fixture.catalog.listAudit({ limit: 100, offset: 0 })).total).toBe(0);
    expect(await fixture.catalog.incrementRateCounter(AUTH_FAILURES_COUNTER, HOUR)).toBe(failures.length + 1);
    expect(AUTH_FAILURES_COUNTER).toBe('auth_failures');
    const logged = fixture.logLines
      .map((line) => JSON.parse(line) as Json)
      .filter((line) => line.msg === 'request' && line.status === 401);
    expect(logged).toHaveLength(failures.length);

    // authenticated mutating calls keep their audit rows, whatever their outcome
    const invalid = await call(server.url, 'POST', '/jobs', { token: alice, body: { job_name: '' } });
    expect(invalid.status).toBe(422);
    const missing = await call(server.url, 'DELETE', '/jobs/job_0000', { token: alice });
    expect(missing.status).toBe(404);
    const audit = await fixture.catalog.listAudit({ limit: 100, offset: 0 });
    expect(audit.items.map((entry) => [entry.principal, entry.action, entry.outcome]).sort()).toEqual([
      ['alice', 'job.create', 'failure'],
      ['alice', 'job.delete', 'failure'],
    ]);
  });
});

describe.each(FRAMEWORKS)('405 for a known path with a wrong method on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('405 method_not_allowed with Allow; unknown paths stay 404', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['DELETE', '/jobs', ['POST', 'GET']],
      ['PUT', '/jobs/job_1234', ['GET', 'PATCH', 'DELETE']],
      ['GET', '/jobs/job_1234/execute', ['POST']],
      ['PATCH', '/files', ['GET']],
    ];
    for (const [method, path, allowed] of cases) {
      const reply = await call(server.url, method, path, { token: alice });
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.headers.get('allow')).toBe(allowed.join(', '));
      expect(reply.body).toEqual({
        error: 'method_not_allowed',
        message: `Method ${method} is not allowed here`,
        details: { method, allowed },
      });
    }
    const unknown = await call(server.url, 'GET', '/no/such/path', { token: alice });
    expect(unknown.status).toBe(404);
    expect((unknown.body as Json).error).toBe('not_found');
    // nothing touched the catalog at all: open it to look
    await fixture.catalog.init();
    expect((await fixture.catalog.listAudit({ limit: 10, offset: 0 })).total).toBe(0);
  });
});

describe('authenticate is required', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await createFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  test('createBackupHandler, backupRouter and backupPlugin throw without it', async () => {
    const { authenticate: _dropped, ...rest } = fixture.handlerOptions();
    const options = rest as unknown as BackupHandlerOptions;
    const refused = expect.objectContaining({
      code: 'invalid_request',
      message: expect.stringContaining('needs an authenticate option'),
    });
    expect(() => createBackupHandler(options)).toThrow(refused);
    expect(() => createBackupHandler({ ...options, authenticate: undefined as never })).toThrow(refused);
    const { service, ...withoutService } = options;
    expect(() => backupRouter(service, withoutService)).toThrow(refused);
    const app = Fastify({ logger: false });
    await expect(app.register(backupPlugin, { ...options, prefix: '/backup' }).ready()).rejects.toThrow(
      /needs an authenticate option/,
    );
    await app.close();
    // a host that wants everything public says so
    const open = createBackupHandler({ ...options, authenticate: () => ({ id: 'anyone' }) });
    expect((await open({ method: 'GET', path: '/jobs', headers: {} })).status).toBe(200);
  });
});
