import { createHash } from 'node:crypto';
import {
  anyOf,
  apiTokenAuthenticator,
  createBackupHandler,
  jwtAuthenticator,
  parseApiTokens,
} from '@backupkit/http-adapter';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminDatabaseUrl } from '../../../test-support/postgres.js';
import { createFixture, type Fixture } from './support/fixture.js';
import { type ApiServer, call, startExpress, startFastify } from './support/servers.js';

const SECRET = createHash('sha256').update('jwt-test-secret').digest('hex');
const key = new TextEncoder().encode(SECRET);

async function jwt(
  claims: Record<string, unknown>,
  options: { expiresIn?: string; secret?: Uint8Array } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer('https://issuer.test')
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.secret ?? key);
}

const job = {
  job_name: 'auth',
  source: { type: 'database', connection_string: adminDatabaseUrl() },
  destination: { type: 'local', path: 'auth/' },
};

describe('authentication hooks', () => {
  let fixture: Fixture;
  const servers: ApiServer[] = [];

  beforeAll(async () => {
    fixture = await createFixture();
    const authenticate = anyOf(
      apiTokenAuthenticator(parseApiTokens(' static-token-1:svc_backup , other-token-2:svc_other ')),
      jwtAuthenticator({ secret: SECRET, issuer: 'https://issuer.test' }),
    );
    servers.push(await startExpress(fixture.handlerOptions({ authenticate })));
    servers.push(await startFastify(fixture.handlerOptions({ authenticate })));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await fixture?.close();
  });

  test('a JWT bearer token verified with jose names the principal; created_by comes from it', async () => {
    for (const server of servers) {
      const token = await jwt({ sub: 'carol', roles: ['admin'] });
      const created = await call(server.url, 'POST', '/jobs', {
        token,
        body: { ...job, created_by: 'mallory' },
      });
      expect(created.status, created.text).toBe(201);
      expect((created.body as { created_by: string }).created_by).toBe('carol');
    }
  });

  test('expired, wrongly signed, unsigned, issuer-less and subject-less tokens get 401', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'carol', iss: 'https://issuer.test' }),
    ).toString('base64url')}.`;
    const bad = [
      await jwt({ sub: 'carol' }, { expiresIn: '-1m' }),
      await jwt({ sub: 'carol' }, { secret: new TextEncoder().encode('x'.repeat(64)) }),
      unsigned,
      await new SignJWT({ sub: 'carol' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('5m')
        .sign(key),
      await jwt({ name: 'no subject' }),
    ];
    for (const server of servers) {
      for (const token of bad) {
        const reply = await call(server.url, 'GET', '/jobs', { token });
        expect(reply.status).toBe(401);
        expect(reply.body).toMatchObject({ error: 'unauthorized' });
      }
    }
  });

  test('static API tokens work as Bearer and as X-API-Key', async () => {
    for (const server of servers) {
      expect((await call(server.url, 'GET', '/jobs', { token: 'static-token-1' })).status).toBe(200);
      const viaHeader = await call(server.url, 'POST', '/jobs', {
        body: job,
        headers: { 'x-api-key': 'other-token-2' },
      });
      expect(viaHeader.status, viaHeader.text).toBe(201);
      expect((viaHeader.body as { created_by: string }).created_by).toBe('svc_other');
      expect((await call(server.url, 'GET', '/jobs', { token: 'static-token-3' })).status).toBe(401);
    }
  });

  test('parseApiTokens refuses malformed entries without quoting them', () => {
    expect(() => parseApiTokens('secret-without-principal')).toThrow(/entry 1 is not token:principal_id/);
    expect(() => parseApiTokens('ok:p, :nobody')).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => parseApiTokens('ok:p, :nobody')).not.toThrow(/nobody/);
    expect([...parseApiTokens('a:b,c:d:admin')]).toEqual([
      ['a', { principal: 'b', roles: [] }],
      ['c', { principal: 'd', roles: ['admin'] }],
    ]);
  });

  test('authorize sees the action and the resource; a denied call is audited as denied', async () => {
    const seen: Array<[string, string, string | null]> = [];
    const handle = createBackupHandler(
      fixture.handlerOptions({
        authenticate: apiTokenAuthenticator({ 'reader-token': 'reader' }),
        authorize: (principal, action, resource) => {
          seen.push([action, resource.type, resource.id]);
          return principal.id === 'reader' && action.endsWith('.get');
        },
      }),
    );
    const headers = { authorization: 'Bearer reader-token' };
    const denied = await handle({ method: 'DELETE', path: '/jobs/job_abc', headers });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', details: { action: 'job.delete' } });
    const allowed = await handle({ method: 'GET', path: '/jobs/job_abc', headers });
    expect(allowed.status).toBe(404);
    expect(seen).toEqual([
      ['job.delete', 'job', 'job_abc'],
      ['job.get', 'job', 'job_abc'],
    ]);
    const audit = await fixture.catalog.listAudit({ principal: 'reader', limit: 10, offset: 0 });
    expect(audit.items).toEqual([
      expect.objectContaining({ action: 'job.delete', outcome: 'denied', target_id: 'job_abc' }),
    ]);
  });
});
