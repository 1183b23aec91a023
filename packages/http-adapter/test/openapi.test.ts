import type { AddressInfo } from 'node:net';
import { createJobSchema, createRestoreSchema, listBackupsQuerySchema } from '@backupkit/core';
import { buildOpenApiDocument, ROUTES } from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createFixture, type Fixture } from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS } from './support/servers.js';

type Json = Record<string, unknown>;

/** Walks untyped JSON: `at(doc, 'paths', '/backup/jobs', 'post')`. */
function at(node: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((current, key) => (current as Json | undefined)?.[key], node);
}
const keys = (node: unknown): string[] => Object.keys(node as Json);

const DOCUMENTED: Array<[string, string]> = [
  ['post', '/backup/jobs'],
  ['post', '/backup/jobs/{job_id}/execute'],
  ['get', '/backup/jobs/{job_id}/status'],
  ['get', '/backup/files'],
  ['post', '/backup/restores'],
  ['get', '/backup/restores/{restore_id}/status'],
  ['post', '/backup/backups/{backup_id}/verify'],
  ['get', '/backup/analytics'],
];

const MANAGEMENT: Array<[string, string]> = [
  ['get', '/backup/jobs'],
  ['get', '/backup/jobs/{job_id}'],
  ['patch', '/backup/jobs/{job_id}'],
  ['delete', '/backup/jobs/{job_id}'],
  ['get', '/backup/jobs/{job_id}/executions'],
  ['post', '/backup/executions/{execution_id}/cancel'],
  ['get', '/backup/verifications/{verification_id}'],
  ['post', '/backup/jobs/{job_id}/retention/apply'],
  ['get', '/backup/health'],
  ['get', '/backup/openapi.json'],
];

describe.each(FRAMEWORKS)('GET /backup/openapi.json on %s', (_name, start) => {
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

  test('lists every endpoint with request schemas generated from the validating zod schemas', async () => {
    const reply = await call(server.url, 'GET', '/openapi.json');
    expect(reply.status).toBe(200);
    const doc = reply.body;
    expect(at(doc, 'openapi')).toBe('3.1.0');
    for (const [method, path] of [...DOCUMENTED, ...MANAGEMENT]) {
      expect(at(doc, 'paths', path, method), `${method} ${path}`).toBeDefined();
    }
    const paths = at(doc, 'paths') as Json;
    expect(Object.values(paths).flatMap((item) => keys(item))).toHaveLength(ROUTES.length);

    const json = ['requestBody', 'content', 'application/json', 'schema'];
    const jobBody = at(doc, 'paths', '/backup/jobs', 'post', ...json);
    const { $schema: _a, ...expected } = z.toJSONSchema(createJobSchema, {
      io: 'input',
      unrepresentable: 'any',
    });
    expect(jobBody).toEqual(expected);
    expect(at(jobBody, 'required')).toEqual(expect.arrayContaining(['job_name', 'source', 'destination']));
    expect(at(jobBody, 'additionalProperties')).toBe(false);
    const restoreBody = at(doc, 'paths', '/backup/restores', 'post', ...json);
    expect(keys(at(restoreBody, 'properties')).sort()).toEqual(Object.keys(createRestoreSchema.shape).sort());

    const parameters = at(doc, 'paths', '/backup/files', 'get', 'parameters') as Json[];
    expect(parameters.map((parameter) => String(parameter.name)).sort()).toEqual(
      Object.keys(listBackupsQuerySchema.shape).sort(),
    );
    const limit = parameters.find((parameter) => parameter.name === 'limit');
    expect(at(limit, 'schema')).toMatchObject({ maximum: 500 });
    expect(at(doc, 'paths', '/backup/files', 'get', 'responses', '429')).toBeUndefined();
    expect(
      at(doc, 'paths', '/backup/jobs', 'post', 'responses', '429', 'headers', 'Retry-After'),
    ).toBeDefined();
    expect(at(doc, 'paths', '/backup/jobs/{job_id}/execute', 'post', 'parameters', '0')).toMatchObject({
      name: 'job_id',
      in: 'path',
      required: true,
    });

    // every $ref resolves
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const pointer = ref.slice(8, -1).replace(/^#\//, '').split('/');
      expect(at(doc, ...pointer), ref).toBeDefined();
    }
  });
});

test('the document follows the mount prefix', async () => {
  expect(Object.keys(buildOpenApiDocument({ basePath: '/api/v2/backup/' }).paths)[0]).toMatch(
    /^\/api\/v2\/backup\//,
  );
  const fixture = await createFixture();
  const app = express();
  app.use('/ops/backup', backupRouter(fixture.service, fixture.handlerOptions()));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const reply = await call(`http://127.0.0.1:${port}/ops/backup`, 'GET', '/openapi.json');
    expect(keys(at(reply.body, 'paths'))).toContain('/ops/backup/files');
  } finally {
    server.close();
    await fixture.close();
  }
});
