import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import { createFixture, createSourceDatabase, type Fixture, SENTINEL } from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS } from './support/servers.js';

type Json = Record<string, unknown>;

let source: TempDatabase;
beforeAll(async () => {
  source = await createSourceDatabase(20_000);
});
afterAll(async () => {
  await source?.drop();
});

describe.each(FRAMEWORKS)('documented management endpoints on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  const token = SENTINEL.tokenAlice;

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  async function runToCompletion(jobId: string): Promise<void> {
    const run = await call(server.url, 'POST', `/jobs/${jobId}/execute`, { token });
    expect(run.status, run.text).toBe(202);
    const done = await fixture.service.waitFor((run.body as Json).execution_id as string, {
      timeoutMs: 60_000,
    });
    expect(done.status).toBe('completed');
  }

  test('executions, retention (dry run and real), cancel, pause, delete', async () => {
    const created = await call(server.url, 'POST', '/jobs', {
      token,
      body: {
        job_name: 'managed',
        source: { type: 'database', connection_string: source.url },
        destination: { type: 'local', path: 'managed/' },
        retention: { last: 1 },
      },
    });
    expect(created.status, created.text).toBe(201);
    const jobId = (created.body as Json).job_id as string;
    await runToCompletion(jobId);
    await runToCompletion(jobId);

    // pagination and filters of /files
    const page = async (query: string) =>
      (await call(server.url, 'GET', `/files?job_id=${jobId}&${query}`, { token })).body as {
        files: Json[];
        total: number;
        limit: number;
        offset: number;
      };
    const first = await page('limit=1&offset=0');
    const second = await page('limit=1&offset=1');
    expect([first.total, first.files.length, second.files.length, second.offset]).toEqual([2, 1, 1, 1]);
    expect(first.files[0]!.backup_id).not.toBe(second.files[0]!.backup_id);
    expect((await page('offset=2')).files).toEqual([]);
    expect((await page('date_from=2999-01-01T00:00:00Z')).total).toBe(0);
    expect((await page('date_to=2999-01-01T00:00:00Z&status=completed&backup_type=full')).total).toBe(2);
    expect((await page('backup_type=incremental')).total).toBe(0);

    const executions = await call(server.url, 'GET', `/jobs/${jobId}/executions?status=completed`, { token });
    expect(executions.status).toBe(200);
    expect((executions.body as Json).total).toBe(2);

    const dryRun = await call(server.url, 'POST', `/jobs/${jobId}/retention/apply?dry_run=true`, { token });
    expect(dryRun.status, dryRun.text).toBe(200);
    expect(dryRun.body).toMatchObject({ job_id: jobId, dry_run: true, deleted: [] });
    expect((dryRun.body as { forget: unknown[] }).forget).toHaveLength(1);
    const filesAfterDryRun = await call(server.url, 'GET', `/files?job_id=${jobId}&status=completed`, {
      token,
    });
    expect((filesAfterDryRun.body as Json).total).toBe(2);

    const applied = await call(server.url, 'POST', `/jobs/${jobId}/retention/apply`, {
      token,
      body: { dry_run: false },
    });
    expect(applied.status, applied.text).toBe(200);
    expect((applied.body as { deleted: unknown[] }).deleted).toHaveLength(1);
    const filesAfter = await call(server.url, 'GET', `/files?job_id=${jobId}&status=completed`, { token });
    expect((filesAfter.body as Json).total).toBe(1);

    const third = await call(server.url, 'POST', `/jobs/${jobId}/execute`, { token });
    const executionId = (third.body as Json).execution_id as string;
    const cancelled = await call(server.url, 'POST', `/executions/${executionId}/cancel`, { token });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect((await fixture.service.waitFor(executionId, { timeoutMs: 60_000 })).status).toBe('cancelled');
    const again = await call(server.url, 'POST', `/executions/${executionId}/cancel`, { token });
    expect(again.status).toBe(409);
    expect((again.body as Json).error).toBe('conflict');

    const paused = await call(server.url, 'PATCH', `/jobs/${jobId}`, { token, body: { status: 'paused' } });
    expect(paused.status, paused.text).toBe(200);
    expect((paused.body as Json).status).toBe('paused');

    const deleted = await call(server.url, 'DELETE', `/jobs/${jobId}`, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await call(server.url, 'GET', `/jobs/${jobId}`, { token });
    expect(gone.status).toBe(404);
    expect((gone.body as Json).error).toBe('job_not_found');

    const audit = await fixture.catalog.listAudit({ principal: 'alice', limit: 100, offset: 0 });
    const succeeded = audit.items.filter((entry) => entry.outcome === 'success').map((entry) => entry.action);
    expect(succeeded).toEqual(
      expect.arrayContaining(['retention.apply', 'execution.cancel', 'job.update', 'job.delete']),
    );
    expect(
      audit.items.find((entry) => entry.action === 'execution.cancel' && entry.outcome === 'success'),
    ).toMatchObject({
      target_type: 'execution',
      target_id: executionId,
    });
  });
});
