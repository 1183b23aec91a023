import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../../test-support/postgres.js';
import { makeService } from '../service/helpers.js';
import { createMonitoredDatabase, databaseJob, runOnce, SENTINEL_PASSWORD } from './support.js';

// The logger option takes pino and console as they are: structured fields with the ids, never
// a secret.

let source: TempDatabase;
beforeAll(async () => {
  source = await createMonitoredDatabase();
});
afterAll(async () => {
  await source?.drop();
});

/** A stream that keeps what is written to it. */
function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('logger option', () => {
  test('pino: JSON lines with job, execution and backup ids as fields; no password', async () => {
    const out = capture();
    const logger = pino({ level: 'debug' }, out.stream);
    const { service, cleanup } = await makeService({ logger });
    try {
      const job = await service.createJob(databaseJob(source.url));
      const ok = await runOnce(service, job.job_id);
      expect(ok.status).toBe('completed');
      const missing = new URL(source.url);
      missing.pathname = '/bk_monitor_no_such_database';
      const bad = await service.createJob(databaseJob(missing.toString(), { job_name: 'Broken' }));
      const failed = await runOnce(service, bad.job_id);
      expect(failed.status).toBe('failed');
    } finally {
      await cleanup();
    }
    await new Promise((resolve) => setImmediate(resolve));
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = lines.find((l) => l.msg === 'Execution completed');
    // Pino got (fields, message): the fields are properties of the line, not lost format args.
    expect(completed).toMatchObject({ level: 30, job_id: expect.stringMatching(/^job_/) });
    expect(completed?.execution_id).toMatch(/^exec_/);
    expect(completed?.backup_id).toMatch(/^backup_/);
    const failure = lines.find((l) => l.msg === 'Execution failed');
    expect(failure).toMatchObject({
      level: 40,
      code: expect.any(String),
      execution_id: expect.stringMatching(/^exec_/),
    });
    expect(lines.some((l) => l.msg === 'Verification passed' && typeof l.verification_id === 'string')).toBe(
      true,
    );
    expect(out.text()).not.toContain(SENTINEL_PASSWORD);
  });

  test('console signature: message first, then the fields object', async () => {
    const out = capture();
    const logger = new Console({ stdout: out.stream, stderr: out.stream });
    const { service, cleanup } = await makeService({ logger });
    try {
      const job = await service.createJob(databaseJob(source.url, { verification: { enabled: false } }));
      const status = await runOnce(service, job.job_id);
      expect(status.status).toBe('completed');
      await new Promise((resolve) => setImmediate(resolve));
      // Console prints the message, then the fields object (util.inspect, over several lines).
      const text = out.text();
      const start = text.indexOf('Execution completed {');
      expect(start).toBeGreaterThanOrEqual(0);
      const line = text.slice(start, text.indexOf('}', start) + 1);
      expect(line).toContain(`job_id: '${job.job_id}'`);
      expect(line).toContain(`execution_id: '${status.execution_id}'`);
      expect(out.text()).not.toContain(SENTINEL_PASSWORD);
    } finally {
      await cleanup();
    }
  });
});
