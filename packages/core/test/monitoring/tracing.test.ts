import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../../test-support/postgres.js';
import { createTempDatabase } from '../../../../test-support/postgres.js';
import { makeService } from '../service/helpers.js';
import {
  createMonitoredDatabase,
  databaseJob,
  runOnce,
  SENTINEL_PASSWORD,
  withSentinelPassword,
} from './support.js';

// A host's OpenTelemetry SDK (here: the in-memory exporter) sees the service's spans, nested.

const exporter = new InMemorySpanExporter();
let source: TempDatabase;
let target: TempDatabase;

beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  [source, target] = await Promise.all([createMonitoredDatabase(), createTempDatabase('bk_monitor_target')]);
});
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
  trace.disable();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;

/** Whether `inner` lies within `outer` in time (1 ms of slack for clock rounding). */
function within(inner: ReadableSpan, outer: ReadableSpan): boolean {
  return ms(inner.startTime) >= ms(outer.startTime) - 1 && ms(inner.endTime) <= ms(outer.endTime) + 1;
}

describe('OpenTelemetry spans', () => {
  test('one execution: its phases and its verification nest under it, in one trace', async () => {
    const { service, cleanup } = await makeService();
    try {
      exporter.reset();
      const job = await service.createJob(databaseJob(source.url));
      const status = await runOnce(service, job.job_id);
      expect(status.status).toBe('completed');

      const spans = exporter.getFinishedSpans();
      const executions = spans.filter((s) => s.name === 'backupkit.execution');
      expect(executions).toHaveLength(1);
      const execution = executions[0]!;
      expect(parentOf(execution)).toBeUndefined();
      expect(execution.attributes).toMatchObject({
        'backupkit.job.id': job.job_id,
        'backupkit.execution.id': status.execution_id,
        'backupkit.backup.id': status.result?.backup_id,
        'backupkit.source.type': 'database',
        'backupkit.destination.type': 'local',
      });
      expect(execution.status.code).not.toBe(2); // not ERROR

      const traceId = execution.spanContext().traceId;
      const byName = new Map(spans.map((s) => [s.name, s]));
      for (const phase of ['snapshot', 'read', 'chunk', 'write', 'manifest', 'verify']) {
        const span = byName.get(`backupkit.backup.${phase}`);
        expect(span, phase).toBeDefined();
        expect(span!.spanContext().traceId, phase).toBe(traceId);
        expect(parentOf(span!), phase).toBe(execution.spanContext().spanId);
        expect(within(span!, execution), phase).toBe(true);
      }
      // The verification the job runs after its backup nests under the verify phase.
      const verify = byName.get('backupkit.backup.verify')!;
      const verification = byName.get('backupkit.verification')!;
      expect(parentOf(verification)).toBe(verify.spanContext().spanId);
      expect(within(verification, verify)).toBe(true);
      expect(verification.attributes['backupkit.verification.status']).toBe('passed');
      // Reading precedes the manifest, which commits the backup, which is verified after.
      const manifest = byName.get('backupkit.backup.manifest')!;
      expect(ms(byName.get('backupkit.backup.snapshot')!.startTime)).toBeLessThanOrEqual(
        ms(byName.get('backupkit.backup.read')!.startTime) + 1,
      );
      expect(ms(byName.get('backupkit.backup.read')!.endTime)).toBeLessThanOrEqual(
        ms(manifest.startTime) + 1,
      );
      expect(ms(manifest.endTime)).toBeLessThanOrEqual(ms(verify.startTime) + 1);

      // A restore and a standalone verification are spans of their own.
      exporter.reset();
      const restore = await service.createRestore({
        backup_id: status.result!.backup_id,
        restore_name: 'traced restore',
        destination: { type: 'database', connection_string: withSentinelPassword(target.url) },
      });
      expect((await service.waitFor(restore.restore_id, { timeoutMs: 120_000 })).status).toBe('completed');
      const verifyRun = await service.verifyBackup(status.result!.backup_id, { verification_type: 'quick' });
      await service.waitFor(verifyRun.verification_id, { timeoutMs: 120_000 });
      const later = exporter.getFinishedSpans();
      const restoreSpan = later.find((s) => s.name === 'backupkit.restore');
      expect(restoreSpan?.attributes['backupkit.restore.id']).toBe(restore.restore_id);
      expect(parentOf(restoreSpan!)).toBeUndefined();
      const standalone = later.find((s) => s.name === 'backupkit.verification');
      expect(standalone?.attributes['backupkit.verification.id']).toBe(verifyRun.verification_id);
      expect(parentOf(standalone!)).toBeUndefined();

      // No attribute, event or status message of any span carries the password.
      const recorded = JSON.stringify(
        [...spans, ...later].map((s) => ({ a: s.attributes, e: s.events, st: s.status, n: s.name })),
      );
      expect(recorded).toContain(job.job_id);
      expect(recorded).not.toContain(SENTINEL_PASSWORD);
      expect(recorded).not.toContain('postgres://');
    } finally {
      await cleanup();
    }
  });

  test('a failed execution: its span is marked failed with the error code, no secret', async () => {
    const { service, cleanup } = await makeService();
    try {
      exporter.reset();
      const missing = new URL(source.url);
      missing.pathname = '/bk_monitor_no_such_database';
      const job = await service.createJob(
        databaseJob(missing.toString(), { verification: { enabled: false } }),
      );
      const status = await runOnce(service, job.job_id);
      expect(status.status).toBe('failed');
      const span = exporter.getFinishedSpans().find((s) => s.name === 'backupkit.execution')!;
      expect(span.status.code).toBe(2); // ERROR
      expect(span.attributes['backupkit.error.code']).toBe(status.error?.code);
      expect(JSON.stringify([span.attributes, span.events, span.status])).not.toContain(SENTINEL_PASSWORD);
    } finally {
      await cleanup();
    }
  });
});
