import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import { createTempDatabase } from '../../../test-support/postgres.js';
import {
  createFixture,
  createSourceDatabase,
  type Fixture,
  KEY_ID,
  pollUntil,
  SENTINEL,
  withPassword,
} from './support/fixture.js';
import { type ApiReply, type ApiServer, call, FRAMEWORKS } from './support/servers.js';

type Json = Record<string, unknown>;

let source: TempDatabase;
let target: TempDatabase;
beforeAll(async () => {
  [source, target] = await Promise.all([createSourceDatabase(200), createTempDatabase('bk_http_sec')]);
});
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
});

describe.each(FRAMEWORKS)('sentinel secrets on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  const replies: ApiReply[] = [];
  const token = SENTINEL.tokenAlice;

  async function send(
    method: string,
    path: string,
    options: Parameters<typeof call>[3] = {},
  ): Promise<ApiReply> {
    const reply = await call(server.url, method, path, { token, ...options });
    replies.push(reply);
    return reply;
  }

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('no response, log line or audit entry contains a password, a token or key material', async () => {
    const job = (
      await send('POST', '/jobs', {
        body: {
          job_name: 'secrets',
          source: { type: 'database', connection_string: withPassword(source.url) },
          destination: { type: 'local', path: 'secrets/' },
          encryption: { enabled: true, key_id: KEY_ID },
        },
      })
    ).body as Json;
    expect(job.job_id).toMatch(/^job_/);
    // a job whose source refuses: its failure is reported, the password is not
    const broken = (
      await send('POST', '/jobs', {
        body: {
          job_name: 'unreachable',
          source: {
            type: 'database',
            connection_string: `postgresql://nobody:${SENTINEL.password}@127.0.0.1:1/nodb`,
          },
          destination: { type: 'local', path: 'broken/' },
        },
      })
    ).body as Json;
    const run = (await send('POST', `/jobs/${job.job_id}/execute`, { body: {} })).body as Json;
    await send('POST', `/jobs/${broken.job_id}/execute`, { body: {} });
    const status = await pollUntil(
      () =>
        send('GET', `/jobs/${job.job_id}/status?execution_id=${run.execution_id}`).then(
          (r) => r.body as Json,
        ),
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(status.status).toBe('completed');
    const failed = await pollUntil(
      () => send('GET', `/jobs/${broken.job_id}/status`).then((r) => r.body as Json),
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(failed.status).toBe('failed');
    expect(failed.error).toBeTruthy();

    const backupId = (status.result as Json).backup_id as string;
    const restore = (
      await send('POST', '/restores', {
        body: {
          backup_id: backupId,
          source: { type: 'database', connection_string: withPassword(source.url) },
          destination: {
            type: 'database',
            connection_string: withPassword(target.url),
            overwrite_existing: true,
          },
        },
      })
    ).body as Json;
    await pollUntil(
      () => send('GET', `/restores/${restore.restore_id}/status`).then((r) => r.body as Json),
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    // key material offered where a key id belongs, and a token in a filter
    await send('POST', `/jobs/${job.job_id}/execute`, {
      body: { custom_parameters: { encryption_key: SENTINEL.keyMaterial } },
    });
    await send('POST', `/jobs/${job.job_id}/execute`, {
      body: { custom_parameters: { encryption_key: SENTINEL.keyMaterial.replace(/[+=/]/g, 'A') } },
    });
    await send('GET', `/files?job_id=${encodeURIComponent(token)}`);
    await send('GET', '/jobs', { token: SENTINEL.tokenAlice.replace('alice', 'mallory') });
    for (const path of [
      '/jobs?limit=100',
      `/jobs/${job.job_id}`,
      `/jobs/${job.job_id}/executions`,
      '/files',
      '/analytics',
    ]) {
      expect((await send('GET', path)).status).toBe(200);
    }
    await send('PATCH', `/jobs/${job.job_id}`, {
      body: {
        source: { type: 'database', connection_string: withPassword(source.url, `${SENTINEL.password}2`) },
      },
    });
    await send('GET', `/jobs/${job.job_id}`);

    const audit = await fixture.catalog.listAudit({ limit: 500, offset: 0 });
    expect(audit.total).toBeGreaterThan(5);
    const haystacks = [
      ...replies.map((reply) => reply.text),
      ...fixture.logLines,
      ...audit.items.map((entry) => JSON.stringify(entry)),
    ];
    expect(haystacks.some((text) => text.includes('***'))).toBe(true);
    for (const secret of [SENTINEL.password, SENTINEL.tokenAlice, SENTINEL.tokenBob, SENTINEL.keyMaterial]) {
      const leaks = haystacks.filter((text) => text.includes(secret));
      expect(leaks, `leaked ${secret.slice(0, 12)}…`).toEqual([]);
    }
  });
});
