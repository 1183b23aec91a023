import type { AddressInfo } from 'node:net';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminDatabaseUrl } from '../../../test-support/postgres.js';
import { createFixture, type Fixture, SENTINEL } from './support/fixture.js';
import { call } from './support/servers.js';

const job = {
  job_name: 'shim',
  source: { type: 'database', connection_string: adminDatabaseUrl() },
  destination: { type: 'local', path: 'shim/' },
};

describe('the shims live alongside the host app', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await createFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  test('Express: works after a global express.json(), and leaves other routes alone', async () => {
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res.json({ echoed: req.body });
    });
    app.use('/backup', backupRouter(fixture.service, fixture.handlerOptions()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const created = await call(`${base}/backup`, 'POST', '/jobs', {
        token: SENTINEL.tokenAlice,
        body: job,
      });
      expect(created.status, created.text).toBe(201);
      const invalid = await call(`${base}/backup`, 'POST', '/jobs', { token: SENTINEL.tokenAlice, body: {} });
      expect(invalid.status).toBe(422);
      const echo = await call(base, 'POST', '/echo', { body: { a: 1 } });
      expect(echo.body).toEqual({ echoed: { a: 1 } });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('Fastify: the body parser override stays inside the plugin; sibling routes keep theirs', async () => {
    const app = Fastify({ logger: false, frameworkErrors: backupFrameworkErrors });
    app.post('/echo', async (request) => ({ echoed: request.body }));
    await app.register(backupPlugin, { ...fixture.handlerOptions(), prefix: '/api/backup' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const created = await call(`${base}/api/backup`, 'POST', '/jobs', {
        token: SENTINEL.tokenAlice,
        body: job,
      });
      expect(created.status, created.text).toBe(201);
      const echo = await call(base, 'POST', '/echo', { body: { a: 1 } });
      expect(echo.body).toEqual({ echoed: { a: 1 } });
      const doc = await call(`${base}/api/backup`, 'GET', '/openapi.json');
      expect(Object.keys((doc.body as { paths: object }).paths)).toContain('/api/backup/jobs');
      const badUrl = await call(`${base}/api/backup`, 'GET', '/jobs/%E0%A4%A', {
        token: SENTINEL.tokenAlice,
      });
      expect(badUrl.status).toBe(400);
      expect(badUrl.body).toEqual({ error: 'invalid_request', message: 'Malformed URL', details: {} });
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });
});
