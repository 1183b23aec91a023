import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import { createTempDatabase } from '../../../test-support/postgres.js';
import { histogramCount, parsePrometheus, sampleValue } from '../../../test-support/prometheus-text.js';
import { apiTokenAuthenticator } from '../src/index.js';
import {
  createFixture,
  createSourceDatabase,
  type Fixture,
  pollUntil,
  SENTINEL,
  withPassword,
} from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS } from './support/servers.js';

// GET /backup/metrics read by a Prometheus text parser after a backup, a failed backup and a
// restore: the figures match the catalog, and no secret shows in metrics, spans or logs.

type Json = Record<string, unknown>;
const ADMIN_TOKEN = `tok-admin-SENTINEL-${randomBytes(8).toString('hex')}`;
const exporter = new InMemorySpanExporter();

let source: TempDatabase;
let target: TempDatabase;
beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  [source, target] = await Promise.all([createSourceDatabase(200), createTempDatabase('bk_http_metrics')]);
});
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
  trace.disable();
});

const authenticate = apiTokenAuthenticator({
  [SENTINEL.tokenAlice]: 'alice',
  [ADMIN_TOKEN]: { principal: 'ops', roles: ['admin'] },
});

describe.each(FRAMEWORKS)('GET /backup/metrics on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  const registry = new Registry();
  const admin = { token: ADMIN_TOKEN };

  beforeAll(async () => {
    exporter.reset();
    fixture = await createFixture(undefined, { service: { metrics: { registry } } });
    server = await start(fixture.handlerOptions({ authenticate, metrics: { registry } }));
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  const finished = (value: Json) => !['queued', 'running'].includes(String(value.status));

  async function runJob(body: Json): Promise<{ jobId: string; status: Json }> {
    const job = (await call(server.url, 'POST', '/jobs', { ...admin, body })).body as Json;
    const jobId = String(job.job_id);
    const run = await call(server.url, 'POST', `/jobs/${jobId}/execute`, { ...admin, body: {} });
    expect(run.status, run.text).toBe(202);
    const status = await pollUntil(
      async () => (await call(server.url, 'GET', `/jobs/${jobId}/status`, admin)).body as Json,
      finished,
    );
    return { jobId, status };
  }

  test('after a backup, a failed backup and a restore the figures match the catalog', async () => {
    const ok = await runJob({
      job_name: 'metrics ok',
      backup_type: 'full',
      source: { type: 'database', connection_string: withPassword(source.url) },
      destination: { type: 'local', path: 'metrics-ok/' },
      compression: { enabled: true, algorithm: 'zstd', level: 3 },
    });
    expect(ok.status.status, JSON.stringify(ok.status)).toBe('completed');
    const missing = new URL(withPassword(source.url));
    missing.pathname = '/bk_http_metrics_no_such_database';
    const bad = await runJob({
      job_name: 'metrics broken',
      backup_type: 'full',
      source: { type: 'database', connection_string: missing.toString() },
      destination: { type: 'local', path: 'metrics-bad/' },
    });
    expect(bad.status.status).toBe('failed');
    const backupId = String((ok.status.result as Json).backup_id);
    const restore = await call(server.url, 'POST', '/restores', {
      ...admin,
      body: {
        restore_name: 'metrics restore',
        backup_id: backupId,
        destination: {
          type: 'database',
          connection_string: withPassword(target.url),
          overwrite_existing: true,
        },
      },
    });
    expect(restore.status, restore.text).toBe(202);
    const restoreId = String((restore.body as Json).restore_id);
    const restored = await pollUntil(
      async () => (await call(server.url, 'GET', `/restores/${restoreId}/status`, admin)).body as Json,
      finished,
    );
    expect(restored.status).toBe('completed');

    const reply = await call(server.url, 'GET', '/metrics', admin);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/plain');
    const metrics = parsePrometheus(reply.text);

    // What the catalog holds.
    const { catalog } = fixture;
    const okExecution = (await catalog.getExecution(String(ok.status.execution_id)))!;
    const badExecution = (await catalog.getExecution(String(bad.status.execution_id)))!;
    const backup = (await catalog.getBackup(backupId))!;
    const analytics = await fixture.service.getAnalytics();

    const okJob = { job_id: ok.jobId };
    const badJob = { job_id: bad.jobId };
    expect(sampleValue(metrics, 'backupkit_executions_total', { ...okJob, status: 'completed' })).toBe(1);
    expect(sampleValue(metrics, 'backupkit_executions_total', { ...badJob, status: 'failed' })).toBe(1);
    expect(badExecution.error?.code).toBeTruthy();
    expect(
      sampleValue(metrics, 'backupkit_execution_failures_total', {
        ...badJob,
        code: badExecution.error!.code,
      }),
    ).toBe(1);
    expect(sampleValue(metrics, 'backupkit_job_last_success_timestamp_seconds', okJob)).toBe(
      Date.parse(okExecution.completed_at!) / 1000,
    );
    expect(sampleValue(metrics, 'backupkit_job_last_success_timestamp_seconds', badJob)).toBeUndefined();
    expect(sampleValue(metrics, 'backupkit_job_last_run_status', { ...badJob, status: 'failed' })).toBe(1);
    expect(sampleValue(metrics, 'backupkit_job_last_run_status', { ...okJob, status: 'completed' })).toBe(1);
    expect(sampleValue(metrics, 'backupkit_backup_logical_bytes_total', okJob)).toBe(backup.logical_size);
    expect(sampleValue(metrics, 'backupkit_backup_stored_bytes_total', okJob)).toBe(backup.file_size);
    expect(sampleValue(metrics, 'backupkit_backup_new_bytes_total', okJob)).toBe(backup.new_bytes);
    expect(sampleValue(metrics, 'backupkit_backup_chunks_total', { ...okJob, kind: 'new' })).toBe(
      backup.metadata.new_chunks,
    );
    expect(histogramCount(metrics, 'backupkit_execution_duration_seconds', okJob)).toBe(1);
    expect(sampleValue(metrics, 'backupkit_restores_total', { status: 'completed' })).toBe(1);
    expect(histogramCount(metrics, 'backupkit_restore_duration_seconds', { status: 'completed' })).toBe(1);
    expect(sampleValue(metrics, 'backupkit_storage_used_bytes', { destination_type: 'local' })).toBe(
      analytics.overview.total_storage_used,
    );
    expect(sampleValue(metrics, 'backupkit_executions', { status: 'running' })).toBe(0);
    expect(
      histogramCount(metrics, 'backupkit_catalog_operation_duration_seconds', { operation: 'insertBackup' }),
    ).toBe(1);
    expect(
      histogramCount(metrics, 'backupkit_storage_operation_duration_seconds', {
        destination_type: 'local',
        operation: 'put',
      }),
    ).toBeGreaterThan(0);
    // Types and units as Prometheus names them.
    expect(metrics.get('backupkit_executions_total')?.type).toBe('COUNTER');
    expect(metrics.get('backupkit_execution_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(metrics.get('backupkit_job_last_success_timestamp_seconds')?.type).toBe('GAUGE');
    // Bounded labels: no backup, execution or restore id is a label value anywhere.
    for (const family of metrics.values()) {
      for (const sample of family.metrics) {
        for (const value of Object.values(sample.labels ?? {})) {
          expect(value, family.name).not.toMatch(/^(backup|exec|restore|verify)_/);
        }
      }
    }

    // No secret in the metrics, the spans of these runs, or the log lines.
    const spans = JSON.stringify(
      exporter.getFinishedSpans().map((s) => ({ n: s.name, a: s.attributes, e: s.events, st: s.status })),
    );
    expect(spans).toContain(ok.jobId);
    for (const [where, text] of [
      ['metrics', reply.text],
      ['spans', spans],
      ['logs', fixture.logLines.join('\n')],
    ] as const) {
      for (const secret of [SENTINEL.password, SENTINEL.tokenAlice, ADMIN_TOKEN, SENTINEL.keyMaterial]) {
        expect(text.includes(secret), `${where} contain a secret`).toBe(false);
      }
    }
  });

  test('behind the same auth: 401 without credentials, 403 for a non-admin, 405 for POST', async () => {
    const anonymous = await call(server.url, 'GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as Json).error).toBe('unauthorized');
    const operator = await call(server.url, 'GET', '/metrics', { token: SENTINEL.tokenAlice });
    expect(operator.status).toBe(403);
    const post = await call(server.url, 'POST', '/metrics', admin);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  test('request ids: answered in X-Request-Id and carried by the log line', async () => {
    const given = await call(server.url, 'GET', '/health', {
      ...admin,
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    // Not a plain token (a log line could be forged with it): replaced by a fresh id.
    const made = await call(server.url, 'GET', '/health', {
      ...admin,
      headers: { 'x-request-id': 'bad id "forged"' },
    });
    const id = made.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = fixture.logLines.map((line) => JSON.parse(line) as Json);
    expect(
      lines.some((l) => l.msg === 'request' && l.request_id === 'trace-abc.123' && l.status === 200),
    ).toBe(true);
    expect(lines.some((l) => l.msg === 'request' && l.request_id === id)).toBe(true);
  });
});

describe('metrics options', () => {
  test('off by default (404); a host can open it to scrapers without credentials', async () => {
    const registry = new Registry();
    const fixture = await createFixture(undefined, { service: { metrics: { registry } } });
    const [start] = FRAMEWORKS[0]!.slice(1) as [(typeof FRAMEWORKS)[0][1]];
    const plain = await start(fixture.handlerOptions());
    const open = await start(
      fixture.handlerOptions({ metrics: { registry }, publicActions: ['health', 'metrics'] }),
    );
    try {
      expect((await call(plain.url, 'GET', '/metrics')).status).toBe(404);
      const reply = await call(open.url, 'GET', '/metrics');
      expect(reply.status).toBe(200);
      expect(parsePrometheus(reply.text).has('backupkit_job_last_success_timestamp_seconds')).toBe(true);
    } finally {
      await plain.close();
      await open.close();
      await fixture.close();
    }
  });
});
