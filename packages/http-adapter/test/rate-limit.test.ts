import { randomBytes } from 'node:crypto';
import { createPostgresCatalog, createSqliteCatalog } from '@backupkit/core';
import { afterAll, describe, expect, test } from 'vitest';
import { adminDatabaseUrl, createTempDatabase, type TempDatabase } from '../../../test-support/postgres.js';
import { createFixture, type Fixture, SENTINEL } from './support/fixture.js';
import { type ApiServer, call, startExpress, startFastify } from './support/servers.js';

/** Mid-window, so the eleven calls can never straddle an hour boundary. */
const clock = { now: () => new Date('2026-03-10T10:30:00Z') };

const job = (name: string) => ({
  job_name: name,
  source: { type: 'database', connection_string: adminDatabaseUrl() },
  destination: { type: 'local', path: `rl/${name}/` },
});

describe('per-principal rate limits', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('the eleventh job creation within the hour gets 429 with Retry-After; another principal is unaffected', async () => {
    const fixture = await createFixture();
    const server = await startExpress(fixture.handlerOptions({ clock }));
    cleanups.push(
      () => fixture.close(),
      () => server.close(),
    );

    for (let i = 1; i <= 10; i += 1) {
      const reply = await call(server.url, 'POST', '/jobs', {
        token: SENTINEL.tokenAlice,
        body: job(`a${i}`),
      });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.headers.get('ratelimit-remaining')).toBe(String(10 - i));
    }
    const eleventh = await call(server.url, 'POST', '/jobs', {
      token: SENTINEL.tokenAlice,
      body: job('a11'),
    });
    expect(eleventh.status).toBe(429);
    expect(eleventh.headers.get('retry-after')).toBe('1800');
    expect(eleventh.body).toMatchObject({ error: 'rate_limited', details: { retry_after: 1800 } });

    const bob = await call(server.url, 'POST', '/jobs', { token: SENTINEL.tokenBob, body: job('b1') });
    expect(bob.status, bob.text).toBe(201);
    // the refused call created nothing (alice lists only her own jobs: bob's is not among them)
    const jobs = (await call(server.url, 'GET', '/jobs?limit=100', { token: SENTINEL.tokenAlice })).body as {
      total: number;
    };
    expect(jobs.total).toBe(10);
    const denied = await fixture.catalog.listAudit({
      principal: 'alice',
      action: 'job.create',
      limit: 50,
      offset: 0,
    });
    expect(denied.items.filter((entry) => entry.outcome === 'denied')).toHaveLength(1);
  });

  test('limits are configurable per bucket (and can be switched off)', async () => {
    const fixture = await createFixture(createSqliteCatalog({ path: ':memory:' }));
    const server = await startFastify(
      fixture.handlerOptions({
        clock,
        rateLimits: { job_creation: { limit: 2, windowSeconds: 60 }, verification: false },
      }),
    );
    cleanups.push(
      () => fixture.close(),
      () => server.close(),
    );
    expect(
      (await call(server.url, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: job('c1') })).status,
    ).toBe(201);
    expect(
      (await call(server.url, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: job('c2') })).status,
    ).toBe(201);
    const third = await call(server.url, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: job('c3') });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('60');
    // verification switched off: the 21st call is still answered on its merits
    for (let i = 0; i < 21; i += 1) {
      const reply = await call(server.url, 'POST', '/backups/backup_00000000/verify', {
        token: SENTINEL.tokenAlice,
      });
      expect(reply.status).toBe(404);
      expect(reply.headers.get('ratelimit-limit')).toBeNull();
    }
  });

  describe('two adapter instances on one PostgreSQL catalog', () => {
    let db: TempDatabase;
    const fixtures: Fixture[] = [];
    const servers: ApiServer[] = [];

    afterAll(async () => {
      for (const server of servers) await server.close();
      for (const fixture of fixtures) await fixture.close();
      await db?.drop();
    });

    test('share the counters', async () => {
      db = await createTempDatabase('bk_http_rl');
      const secretKey = randomBytes(32);
      for (const start of [startExpress, startFastify]) {
        const fixture = await createFixture(createPostgresCatalog({ connectionString: db.url }), {
          secretKey,
        });
        fixtures.push(fixture);
        servers.push(await start(fixture.handlerOptions({ clock })));
      }
      const [a, b] = servers as [ApiServer, ApiServer];
      for (let i = 1; i <= 10; i += 1) {
        const server = i % 2 === 0 ? a : b;
        const reply = await call(server.url, 'POST', '/jobs', {
          token: SENTINEL.tokenAlice,
          body: job(`s${i}`),
        });
        expect(reply.status, reply.text).toBe(201);
      }
      expect(
        (await call(a.url, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: job('s11') })).status,
      ).toBe(429);
      expect(
        (await call(b.url, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: job('s12') })).status,
      ).toBe(429);
      expect(
        (await call(b.url, 'POST', '/jobs', { token: SENTINEL.tokenBob, body: job('s13') })).status,
      ).toBe(201);
      // both instances see the same ten jobs of alice (half were created through each)
      const listed = (await call(a.url, 'GET', '/jobs?limit=100', { token: SENTINEL.tokenAlice })).body as {
        total: number;
      };
      expect(listed.total).toBe(10);
    });
  });
});
