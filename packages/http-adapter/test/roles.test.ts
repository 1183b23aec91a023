import { createHash } from 'node:crypto';
import type { BackupService, CallContext } from '@backupkit/core';
import {
  apiTokenAuthenticator,
  effectiveRoles,
  jwtAuthenticator,
  parseApiTokens,
  READ_ONLY_ACTIONS,
  ROUTES,
  rolesAllow,
} from '@backupkit/http-adapter';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import { createFixture, createSourceDatabase, type Fixture } from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS, startExpress } from './support/servers.js';

type Json = Record<string, unknown>;

const TOKENS = {
  admin: 'tok-admin-0123456789',
  viewer: 'tok-viewer-0123456789',
  operator: 'tok-operator-0123456789',
  plain: 'tok-plain-0123456789',
  other: 'tok-other-0123456789',
};
const TOKEN_CONFIG = [
  `${TOKENS.admin}:root:admin`,
  `${TOKENS.viewer}:dash:viewer`,
  `${TOKENS.operator}:ops:operator+viewer`,
  `${TOKENS.plain}:team`,
  `${TOKENS.other}:rival`,
].join(',');

/** Well-formed ids of objects that do not exist (the service answers 404 for them). */
const UNKNOWN_IDS: Record<string, string> = {
  job_id: 'job_0000',
  execution_id: 'exec_0000',
  backup_id: 'backup_0000',
  restore_id: 'restore_0000',
  verification_id: 'verify_0000',
};

/** A concrete path for a route pattern: `ids` first, else an unknown id. */
function pathOf(pattern: string, ids: Record<string, string> = {}): string {
  return pattern.replace(/\{([a-z_]+)\}/g, (_, name: string) => ids[name] ?? UNKNOWN_IDS[name]!);
}

let source: TempDatabase;
beforeAll(async () => {
  source = await createSourceDatabase(50);
});
afterAll(async () => {
  await source?.drop();
});

const jobBody = (name: string) => ({
  job_name: name,
  source: { type: 'database', connection_string: source.url },
  destination: { type: 'local', path: `roles/${name}/` },
});

describe('parseApiTokens and apiTokenAuthenticator', () => {
  test('entries with and without roles; roles only on principals whose entry names some', async () => {
    const parsed = parseApiTokens(
      ` a1:alpha , b2:beta:viewer, c3:gamma:operator+viewer+operator,d4:delta:admin `,
    );
    expect([...parsed]).toEqual([
      ['a1', { principal: 'alpha', roles: [] }],
      ['b2', { principal: 'beta', roles: ['viewer'] }],
      ['c3', { principal: 'gamma', roles: ['operator', 'viewer'] }],
      ['d4', { principal: 'delta', roles: ['admin'] }],
    ]);
    const authenticate = apiTokenAuthenticator(parsed);
    const as = (token: string) =>
      authenticate({ method: 'GET', path: '/jobs', headers: { authorization: `Bearer ${token}` } });
    expect(await as('a1')).toEqual({ id: 'alpha' });
    expect(await as('b2')).toEqual({ id: 'beta', roles: ['viewer'] });
    expect(await as('d4')).toEqual({ id: 'delta', roles: ['admin'] });
    expect(await as('nope')).toBeNull();
    // a caller changing the principal it got does not change the configuration
    const first = await as('b2');
    (first!.roles as string[]).push('admin');
    expect(await as('b2')).toEqual({ id: 'beta', roles: ['viewer'] });
  });

  test('the old map and record forms still work (principals without roles)', async () => {
    const request = { method: 'GET', path: '/jobs', headers: { 'x-api-key': 'k1' } };
    expect(await apiTokenAuthenticator(new Map([['k1', 'one']]))(request)).toEqual({ id: 'one' });
    expect(await apiTokenAuthenticator({ k1: 'one' })(request)).toEqual({ id: 'one' });
    expect(await apiTokenAuthenticator({ k1: { principal: 'one', roles: ['viewer'] } })(request)).toEqual({
      id: 'one',
      roles: ['viewer'],
    });
  });

  test('unknown or empty roles and malformed entries are refused naming only the entry number', () => {
    const cases: Array<[string, number]> = [
      ['ok:p, secret-token-xyz:p:superuser', 2],
      ['secret-token-xyz:p:', 1],
      ['ok:p,ok2:q,secret-token-xyz:p:viewer+', 3],
      ['secret-token-xyz:p:Admin', 1],
      ['secret-token-xyz:p:admin:extra', 1],
      ['secret-token-xyz', 1],
    ];
    for (const [text, entry] of cases) {
      let caught: unknown;
      try {
        parseApiTokens(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toMatchObject({ code: 'invalid_request', details: { entry } });
      expect((caught as Error).message).toContain(`entry ${entry} `);
      expect((caught as Error).message).not.toContain('secret-token-xyz');
      expect((caught as Error).message).not.toContain('superuser');
    }
  });
});

describe('effectiveRoles and rolesAllow', () => {
  test('no roles or unknown roles are an operator; viewers read only', () => {
    expect(effectiveRoles({})).toEqual(['operator']);
    expect(effectiveRoles({ roles: [] })).toEqual(['operator']);
    expect(effectiveRoles({ roles: ['backup-admin', 'Admin'] })).toEqual(['operator']);
    expect(effectiveRoles({ roles: ['viewer', 'custom', 'viewer'] })).toEqual(['viewer']);
    expect(effectiveRoles({ roles: ['admin', 'viewer'] })).toEqual(['admin', 'viewer']);
    for (const route of ROUTES) {
      expect(rolesAllow(['viewer'], route.action), route.action).toBe(!route.mutating);
      expect(rolesAllow(['operator'], route.action)).toBe(true);
      expect(rolesAllow(['admin'], route.action)).toBe(true);
      expect(rolesAllow(['viewer', 'operator'], route.action)).toBe(true);
    }
    expect([...READ_ONLY_ACTIONS].sort()).toEqual(
      ROUTES.filter((route) => !route.mutating)
        .map((route) => route.action)
        .sort(),
    );
  });
});

describe('JWT roles', () => {
  const SECRET = createHash('sha256').update('roles-jwt-secret').digest('hex');
  const sign = (claims: Json) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
  const principalOf = async (authenticate: ReturnType<typeof jwtAuthenticator>, claims: Json) =>
    authenticate({
      method: 'GET',
      path: '/jobs',
      headers: { authorization: `Bearer ${await sign(claims)}` },
    });

  test('the roles array, a role string, and a renamed roles claim', async () => {
    const plain = jwtAuthenticator({ secret: SECRET });
    expect((await principalOf(plain, { sub: 'a', roles: ['viewer', 7] }))?.roles).toEqual(['viewer']);
    expect((await principalOf(plain, { sub: 'a', role: 'viewer' }))?.roles).toEqual(['viewer']);
    expect((await principalOf(plain, { sub: 'a', roles: ['admin'], role: 'viewer' }))?.roles).toEqual([
      'admin',
      'viewer',
    ]);
    expect((await principalOf(plain, { sub: 'a' }))?.roles).toEqual([]);
    const renamed = jwtAuthenticator({ secret: SECRET, rolesClaim: 'https://example.test/roles' });
    const principal = await principalOf(renamed, {
      sub: 'a',
      roles: ['admin'],
      'https://example.test/roles': 'viewer',
    });
    expect(principal?.roles).toEqual(['viewer']);
    expect(effectiveRoles(principal!)).toEqual(['viewer']);
  });

  test('a viewer JWT is refused a write and allowed a read over HTTP', async () => {
    const fixture = await createFixture();
    const server = await startExpress(
      fixture.handlerOptions({ authenticate: jwtAuthenticator({ secret: SECRET }) }),
    );
    try {
      const token = await sign({ sub: 'reader', role: 'viewer' });
      const write = await call(server.url, 'POST', '/jobs', { token, body: jobBody('jwt-viewer') });
      expect(write.status, write.text).toBe(403);
      expect(write.body).toMatchObject({ error: 'forbidden', details: { action: 'job.create' } });
      expect((await call(server.url, 'GET', '/jobs', { token })).status).toBe(200);
    } finally {
      await server.close();
      await fixture.close();
    }
  });
});

describe.each(FRAMEWORKS)('built-in roles over HTTP on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  /** Ids of objects the viewer principal `dash` owns (created by the host's own code). */
  const owned: Record<string, string> = {};

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(
      fixture.handlerOptions({ authenticate: apiTokenAuthenticator(parseApiTokens(TOKEN_CONFIG)) }),
    );
    const job = await fixture.service.createJob({ ...jobBody('dash-job'), created_by: 'dash' });
    owned.job_id = job.job_id as string;
    const run = await fixture.service.executeJob(owned.job_id, {}, { principal: 'dash' });
    owned.execution_id = run.execution_id as string;
    const done = await fixture.service.waitFor(owned.execution_id, { timeoutMs: 60_000 });
    expect(done.status).toBe('completed');
    const files = await fixture.service.listBackups({ job_id: owned.job_id });
    owned.backup_id = (files.files as Json[])[0]!.backup_id as string;
    const verification = await fixture.service.verifyBackup(owned.backup_id, {}, { principal: 'dash' });
    owned.verification_id = verification.verification_id as string;
    await fixture.service.waitFor(owned.verification_id, { timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('a viewer gets 403 on every mutating route, audited as denied, nothing done', async () => {
    const mutating = ROUTES.filter((route) => route.mutating);
    expect(mutating.length).toBe(8);
    const before = await fixture.service.listJobs({ limit: 100 });
    for (const route of mutating) {
      const reply = await call(server.url, route.method, pathOf(route.pattern, owned), {
        token: TOKENS.viewer,
        ...(route.body ? { body: route.action === 'job.create' ? jobBody('viewer-try') : {} } : {}),
      });
      expect(reply.status, `${route.action}: ${reply.text}`).toBe(403);
      expect(reply.body).toEqual({
        error: 'forbidden',
        message: `Not allowed: ${route.action}`,
        details: { action: route.action },
      });
      // refused before the rate limiter: nothing counted
      expect(reply.headers.get('ratelimit-limit')).toBeNull();
    }
    const after = await fixture.service.listJobs({ limit: 100 });
    expect(after.total).toBe(before.total);
    expect((await fixture.service.getJob(owned.job_id!)).status).toBe('active');
    const audit = await fixture.catalog.listAudit({ principal: 'dash', limit: 100, offset: 0 });
    expect(audit.items.map((entry) => [entry.action, entry.outcome]).sort()).toEqual(
      mutating.map((route) => [route.action, 'denied']).sort(),
    );
  });

  test('a viewer reads its own objects: 200 on every read route', async () => {
    const restoreStatus = ROUTES.find((route) => route.action === 'restore.status')!;
    for (const route of ROUTES.filter((r) => !r.mutating && r !== restoreStatus)) {
      const reply = await call(server.url, route.method, pathOf(route.pattern, owned), {
        token: TOKENS.viewer,
      });
      expect(reply.status, `${route.action}: ${reply.text}`).toBe(200);
    }
    // no restore exists: the role check lets the call through to the service's own answer
    const restore = await call(server.url, 'GET', pathOf(restoreStatus.pattern), { token: TOKENS.viewer });
    expect(restore.status).toBe(404);
    expect((restore.body as Json).error).toBe('restore_not_found');
    const listed = (await call(server.url, 'GET', '/jobs', { token: TOKENS.viewer })).body as Json;
    expect((listed.jobs as Json[]).map((job) => job.job_id)).toEqual([owned.job_id]);
  });

  test('a principal without roles, and an operator+viewer, create and run their own jobs', async () => {
    for (const [token, principal] of [
      [TOKENS.plain, 'team'],
      [TOKENS.operator, 'ops'],
    ] as const) {
      const created = await call(server.url, 'POST', '/jobs', { token, body: jobBody(`own-${principal}`) });
      expect(created.status, created.text).toBe(201);
      expect((created.body as Json).created_by).toBe(principal);
      const jobId = (created.body as Json).job_id as string;
      const run = await call(server.url, 'POST', `/jobs/${jobId}/execute`, { token });
      expect(run.status, run.text).toBe(202);
      const done = await fixture.service.waitFor((run.body as Json).execution_id as string, {
        timeoutMs: 60_000,
      });
      expect(done.status).toBe('completed');
      const paused = await call(server.url, 'PATCH', `/jobs/${jobId}`, { token, body: { status: 'paused' } });
      expect(paused.status, paused.text).toBe(200);
    }
  });

  test("operators see and touch only their own jobs; an admin sees everyone's", async () => {
    const mine = await call(server.url, 'POST', '/jobs', { token: TOKENS.other, body: jobBody('rival-job') });
    expect(mine.status, mine.text).toBe(201);
    const rivalJob = (mine.body as Json).job_id as string;

    const teamList = (await call(server.url, 'GET', '/jobs?limit=100', { token: TOKENS.plain })).body as Json;
    const teamIds = (teamList.jobs as Json[]).map((job) => job.job_id);
    expect(teamIds).not.toContain(rivalJob);
    expect(teamIds).not.toContain(owned.job_id);
    expect((teamList.jobs as Json[]).every((job) => job.created_by === 'team')).toBe(true);

    const foreign = await call(server.url, 'GET', `/jobs/${rivalJob}`, { token: TOKENS.plain });
    expect(foreign.status).toBe(404);
    const foreignDelete = await call(server.url, 'DELETE', `/jobs/${rivalJob}`, { token: TOKENS.plain });
    expect(foreignDelete.status).toBe(404);
    expect((await fixture.service.getJob(rivalJob)).status).toBe('active');

    const all = (await call(server.url, 'GET', '/jobs?limit=100', { token: TOKENS.admin })).body as Json;
    const allIds = (all.jobs as Json[]).map((job) => job.job_id);
    expect(allIds).toEqual(expect.arrayContaining([rivalJob, owned.job_id]));
    const adminDelete = await call(server.url, 'DELETE', `/jobs/${rivalJob}`, { token: TOKENS.admin });
    expect(adminDelete.status).toBe(204);
  });
});

describe('what the service receives', () => {
  let fixture: Fixture;
  let server: ApiServer;
  const contexts: Array<[string, CallContext | undefined]> = [];

  beforeAll(async () => {
    fixture = await createFixture();
    // Delegates to the real service, noting the CallContext of each call (always the last argument).
    const recording = new Proxy(fixture.service, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string' || property === 'health')
          return value;
        return (...args: unknown[]) => {
          contexts.push([property, args.at(-1) as CallContext | undefined]);
          return value.apply(target, args);
        };
      },
    }) as BackupService;
    server = await startExpress({
      ...fixture.handlerOptions({ authenticate: apiTokenAuthenticator(parseApiTokens(TOKEN_CONFIG)) }),
      service: recording,
    });
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('{ principal, roles: effectiveRoles } on every call; operator when the token names none', async () => {
    contexts.length = 0;
    expect((await call(server.url, 'GET', '/jobs', { token: TOKENS.plain })).status).toBe(200);
    expect((await call(server.url, 'GET', '/files', { token: TOKENS.viewer })).status).toBe(200);
    expect((await call(server.url, 'GET', '/analytics', { token: TOKENS.admin })).status).toBe(200);
    const created = await call(server.url, 'POST', '/jobs', { token: TOKENS.operator, body: jobBody('ctx') });
    expect(created.status, created.text).toBe(201);
    expect(contexts).toEqual([
      ['listJobs', { principal: 'team', roles: ['operator'] }],
      ['listBackups', { principal: 'dash', roles: ['viewer'] }],
      ['getAnalytics', { principal: 'root', roles: ['admin'] }],
      ['createJob', { principal: 'ops', roles: ['operator', 'viewer'] }],
    ]);
  });
});

describe('the authorize hook', () => {
  let fixture: Fixture;
  let server: ApiServer;
  const seen: Array<[string, string, unknown, unknown]> = [];

  beforeAll(async () => {
    fixture = await createFixture();
    server = await startExpress(
      fixture.handlerOptions({
        authenticate: apiTokenAuthenticator(parseApiTokens(TOKEN_CONFIG)),
        authorize: (principal, action, resource, request) => {
          seen.push([principal.id, action, resource, request]);
          return (request.body as { job_name?: string } | undefined)?.job_name !== 'forbidden-name';
        },
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('sees principal, action, resource and the validated body and query; false → 403, nothing done', async () => {
    const allowedBody = jobBody('allowed');
    const created = await call(server.url, 'POST', '/jobs', { token: TOKENS.plain, body: allowedBody });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('ratelimit-remaining')).toBe('9');

    const denied = await call(server.url, 'POST', '/jobs', {
      token: TOKENS.plain,
      body: jobBody('forbidden-name'),
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', details: { action: 'job.create' } });
    // refused before the rate limiter and the service
    expect(denied.headers.get('ratelimit-limit')).toBeNull();
    const jobs = await fixture.service.listJobs({ limit: 100 });
    expect((jobs.jobs as Json[]).map((job) => job.job_name)).toEqual(['allowed']);
    const again = await call(server.url, 'POST', '/jobs', { token: TOKENS.plain, body: jobBody('second') });
    expect(again.headers.get('ratelimit-remaining')).toBe('8');

    const jobId = (created.body as Json).job_id as string;
    expect(
      (await call(server.url, 'GET', `/jobs/${jobId}/executions?limit=5`, { token: TOKENS.plain })).status,
    ).toBe(200);
    // invalid input never reaches the hook; a viewer's write is refused before it
    expect(
      (await call(server.url, 'POST', '/jobs', { token: TOKENS.plain, body: { job_name: '' } })).status,
    ).toBe(422);
    expect(
      (await call(server.url, 'POST', '/jobs', { token: TOKENS.viewer, body: jobBody('v') })).status,
    ).toBe(403);

    expect(seen).toEqual([
      ['team', 'job.create', { type: 'job', id: null }, { body: allowedBody, query: {} }],
      ['team', 'job.create', { type: 'job', id: null }, { body: jobBody('forbidden-name'), query: {} }],
      ['team', 'job.create', { type: 'job', id: null }, { body: jobBody('second'), query: {} }],
      ['team', 'execution.list', { type: 'job', id: jobId }, { body: undefined, query: { limit: '5' } }],
    ]);
    const audit = await fixture.catalog.listAudit({
      principal: 'team',
      action: 'job.create',
      limit: 10,
      offset: 0,
    });
    expect(audit.items.map((entry) => entry.outcome).sort()).toEqual([
      'denied',
      'failure',
      'success',
      'success',
    ]);
  });
});
