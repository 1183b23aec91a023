import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { trace } from '@opentelemetry/api';
import { describe, expect, test } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from '../service/helpers.js';

// Tracing costs nothing and breaks nothing when the host has no OpenTelemetry SDK, or not even
// the API package. (No tracer provider is registered in this file's process.)

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

describe('without an OpenTelemetry SDK', () => {
  test('the API is there but no SDK: runs complete, nothing records', async () => {
    // What the service's tracer gives without an SDK: spans that record nothing.
    const probe = trace.getTracer('@backupkit/core').startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    probe.end();

    const tree = await tempDir('untraced-tree');
    await makeTree(tree, 8);
    const { service, cleanup } = await makeService();
    try {
      const job = await service.createJob(fsJob(tree, { verification: { enabled: true } }));
      const execution = await service.executeJob(job.job_id);
      const status = await service.waitFor(execution.execution_id, { timeoutMs: 60_000 });
      expect(status.status).toBe('completed');
      expect(status.verification?.status).toBe('passed');
    } finally {
      await cleanup();
    }
  });

  test('@opentelemetry/api not installed at all: a backup and a restore complete', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--require',
        path.join(here, 'fixtures', 'hide-otel.cjs'),
        '--import',
        'tsx',
        path.join(here, 'fixtures', 'untraced-run.ts'),
      ],
      { cwd: path.resolve(here, '../../../..'), timeout: 90_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({ apiLoadable: false, execution: 'completed', restore: 'completed' });
  });
});
