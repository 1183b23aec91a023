import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/servers.js';
import { directoryJob, type Json, type SecureExample, startSecureExample } from './support.js';

/** Wall milliseconds of one call. */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

describe('a token cannot make the server do unbounded work', () => {
  let example: SecureExample;

  beforeAll(async () => {
    example = await startSecureExample();
  });
  afterAll(async () => {
    await example?.stop();
  });

  it('a pathological glob answers within 100 ms and its backup never stalls the server', async () => {
    // Long names of the one letter the pattern repeats: a backtracking matcher takes seconds each.
    const tree = path.join(example.sourceRoot, 'globs');
    let deep = tree;
    for (let level = 0; level < 8; level++) deep = path.join(deep, 'a'.repeat(200));
    await mkdir(deep, { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(path.join(deep, `${'a'.repeat(200)}${i}`), 'x');
    const pattern = `${'*a'.repeat(120)}*b`;
    const body = directoryJob(tree, { job_name: 'globs' });
    (body.source as Json).exclude = [pattern, `**/${pattern}`];
    (body.source as Json).include = [`${'a*'.repeat(120)}`];

    await example.as('alice', 'GET', '/health');
    const attempts = [];
    for (let i = 0; i < 3; i++) {
      attempts.push(
        await timed(() => example.as('alice', 'POST', '/jobs', { ...body, job_name: `globs-${i}` })),
      );
    }
    for (const attempt of attempts) expect(attempt.value.status, attempt.value.text).toBe(201);
    // The fastest of three: other tests load this machine, a blocked event loop slows every one.
    expect(Math.min(...attempts.map((attempt) => attempt.ms))).toBeLessThan(100);

    const jobId = (attempts[0]!.value.body as Json).job_id as string;
    expect((await example.as('alice', 'POST', `/jobs/${jobId}/execute`, {})).status).toBe(202);
    const latencies: number[] = [];
    let status: Json;
    do {
      const probe = await timed(() => call(example.url, 'GET', '/health'));
      latencies.push(probe.ms);
      status = (await example.as('alice', 'GET', `/jobs/${jobId}/status`)).body as Json;
    } while (status.status === 'running' || status.status === 'queued');
    expect(status.status, JSON.stringify(status)).toBe('completed');
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });

  it('a deeply nested body is refused with 400, stores nothing, and listing keeps answering', async () => {
    let nested: Json = { leaf: true };
    for (let level = 0; level < 4000; level++) nested = { nested };
    const before = ((await example.as('admin', 'GET', '/jobs')).body as Json).total;
    const reply = await example.as('alice', 'POST', '/jobs', {
      ...directoryJob(example.sourceRoot),
      destination: { type: 'local', path: 'deep', extra: nested },
    });
    expect(reply.status, reply.text.slice(0, 200)).toBe(400);
    expect((reply.body as Json).error).toBe('invalid_request');
    const after = await example.as('admin', 'GET', '/jobs');
    expect(after.status).toBe(200);
    expect((after.body as Json).total).toBe(before);
    expect((await example.as('bob', 'GET', '/jobs')).status).toBe(200);
  });

  it('a nested object inside a destination is refused even when shallow enough to parse', async () => {
    const reply = await example.as('alice', 'POST', '/jobs', {
      ...directoryJob(example.sourceRoot),
      destination: { type: 'local', path: 'shallow', extra: { a: { b: 1 } } },
    });
    expect(reply.status, reply.text).toBe(422);
  });

  it('a schedule more often than once a minute is refused; every minute is fine', async () => {
    const secondly = await example.as('alice', 'POST', '/jobs', {
      ...directoryJob(example.sourceRoot),
      schedule: { frequency: '* * * * * *' },
    });
    expect(secondly.status, secondly.text).toBe(400);
    expect((secondly.body as Json).error).toBe('invalid_backup_config');
    const burst = await example.as('alice', 'POST', '/jobs', {
      ...directoryJob(example.sourceRoot),
      schedule: { frequency: '*/10 * 3 * * *' },
    });
    expect(burst.status, burst.text).toBe(400);
    const minutely = await example.as('alice', 'POST', '/jobs', {
      ...directoryJob(example.sourceRoot),
      schedule: { frequency: '* * * * *' },
    });
    expect(minutely.status, minutely.text).toBe(201);
  });
});
