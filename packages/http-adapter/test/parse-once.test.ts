import os from 'node:os';
import { createJobSchema, listJobsQuerySchema, parseInput } from '@backupkit/core';
import { type BackupHandler, createBackupHandler } from '@backupkit/http-adapter';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFixture, type Fixture, SENTINEL } from './support/fixture.js';

const auth = { authorization: `Bearer ${SENTINEL.tokenAlice}`, 'content-type': 'application/json' };

describe('the handler parses each body and query once and hands the service what it parsed', () => {
  let fixture: Fixture;
  let handle: BackupHandler;
  beforeAll(async () => {
    fixture = await createFixture();
    handle = createBackupHandler(fixture.handlerOptions());
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await fixture?.close();
  });

  it('a job body: the service gets the parsed object, which parseInput takes as it is', async () => {
    const createJob = vi.spyOn(fixture.service, 'createJob');
    const body = {
      job_name: 'Parsed once',
      source: { type: 'filesystem', path: os.tmpdir() },
      destination: { type: 'local', path: 'parsed-once' },
    };
    const reply = await handle({ method: 'POST', path: '/jobs', headers: auth, body });
    expect(reply.status).toBe(201);
    const [input] = createJob.mock.calls[0]!;
    expect(input).not.toBe(body);
    // Defaults filled: this is the schema's output, not the request's JSON.
    expect(input).toMatchObject({ job_name: 'Parsed once', backup_type: 'full' });
    expect(parseInput(createJobSchema, input)).toBe(input);
    // The same content as JSON is parsed afresh: only the handler's own object passes as parsed.
    expect(parseInput(createJobSchema, JSON.parse(JSON.stringify(input)))).not.toBe(input);
  });

  it('a query: numbers coerced once, then taken as they are', async () => {
    const listJobs = vi.spyOn(fixture.service, 'listJobs');
    const reply = await handle({ method: 'GET', path: '/jobs', headers: auth, query: { limit: '2' } });
    expect(reply.status).toBe(200);
    const [query] = listJobs.mock.calls[0]!;
    expect(query).toEqual({ limit: 2, offset: 0 });
    expect(parseInput(listJobsQuerySchema, query)).toBe(query);
  });

  it('retention: a body without dry_run leaves the query’s dry_run in force', async () => {
    const created = await handle({
      method: 'POST',
      path: '/jobs',
      headers: auth,
      body: {
        job_name: 'Retention',
        source: { type: 'filesystem', path: os.tmpdir() },
        destination: { type: 'local', path: 'retention-once' },
        retention: { last: 1 },
      },
    });
    const jobId = (created.body as { job_id: string }).job_id;
    const applyRetention = vi.spyOn(fixture.service, 'applyRetention');
    const path = `/jobs/${jobId}/retention/apply`;
    const dry = await handle({ method: 'POST', path, headers: auth, query: { dry_run: 'true' }, body: {} });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true });
    const bodyWins = await handle({
      method: 'POST',
      path,
      headers: auth,
      query: { dry_run: 'true' },
      body: { dry_run: false },
    });
    expect(bodyWins.body).toMatchObject({ dry_run: false });
    expect(applyRetention.mock.calls.map(([, options]) => options)).toEqual([
      { dry_run: true },
      { dry_run: false },
    ]);
  });
});
