import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminDatabaseUrl,
  createTempDatabase,
  type TempDatabase,
} from '../../../../test-support/postgres.js';
import { createSourceDatabase } from '../support/fixture.js';
import { backupNow, type Json, type SecureExample, startSecureExample } from './support.js';

/** A listener that only counts who connects: the server must never reach it. */
async function trap(): Promise<{ port: number; attempts: () => number; close(): Promise<void> }> {
  let attempts = 0;
  const server = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    attempts: () => attempts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

describe('a non-admin token cannot make the server connect where the host did not allow', () => {
  let example: SecureExample;
  let listener: Awaited<ReturnType<typeof trap>>;
  let source: TempDatabase;
  let target: TempDatabase;

  beforeAll(async () => {
    listener = await trap();
    source = await createSourceDatabase(200);
    target = await createTempDatabase('bk_sec_dst');
    const pg = new URL(adminDatabaseUrl());
    // Only the real database server; no per-job storage endpoint at all (the default).
    example = await startSecureExample({ BACKUPKIT_DATABASE_HOSTS: `${pg.hostname}:${pg.port || 5432}` });
  });
  afterAll(async () => {
    await example?.stop();
    await listener?.close();
    await source?.drop();
    await target?.drop();
  });

  /**
   * A job that should have been refused but was created is run (and a refused one is not), so
   * that the trap's count shows what the server would have done.
   */
  async function runIfCreated(who: 'alice', body: Json): Promise<void> {
    const jobId = body?.job_id;
    if (typeof jobId !== 'string') return;
    const run = await example.as(who, 'POST', `/jobs/${jobId}/execute`, {});
    if (run.status === 202) await example.settle(who, `/jobs/${jobId}/status`);
  }

  it('storage endpoints a job names itself are refused', async () => {
    const trapUrl = `http://127.0.0.1:${listener.port}`;
    const destinations: Json[] = [
      { type: 's3', bucket: 'b', endpoint: trapUrl, force_path_style: true },
      { type: 'azure', container: 'c', endpoint: `${trapUrl}/devstoreaccount1?sv=2020&sig=x` },
      {
        type: 'azure',
        container: 'c',
        connection_string: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=${trapUrl}/devstoreaccount1;`,
      },
      { type: 'gcs', bucket: 'b', endpoint: trapUrl },
      { type: 'gcs', bucket: 'b', key_filename: '/etc/passwd' },
    ];
    for (const destination of destinations) {
      const reply = await example.as('alice', 'POST', '/jobs', {
        job_name: 'exfiltrate',
        source: { type: 'database', connection_string: source.url },
        destination,
      });
      expect.soft(reply.status, `${JSON.stringify(destination)}: ${reply.text}`).toBe(403);
      expect.soft((reply.body as Json).error).toBe('forbidden');
      await runIfCreated('alice', reply.body as Json);
    }
  });

  it('database servers outside the allowed hosts are refused for sources, restores and updates', async () => {
    const port = listener.port;
    const sources = [
      `postgresql://u:p@127.0.0.1:${port}/db`,
      `postgresql://u@localhost:${port}/db`,
      `postgresql:///db?host=127.0.0.1&port=${port}`,
      `postgresql://u@127.0.0.1/db?port=${port}`,
      'postgresql://u@db.invalid:5432/db',
      'postgresql:///db?host=/tmp',
    ];
    for (const connection of sources) {
      const reply = await example.as('alice', 'POST', '/jobs', {
        job_name: 'scan',
        source: { type: 'database', connection_string: connection },
        destination: { type: 'local', path: 'scan' },
      });
      expect.soft(reply.status, `${connection}: ${reply.text}`).toBe(403);
      await runIfCreated('alice', reply.body as Json);
    }

    const job = await example.as('alice', 'POST', '/jobs', {
      job_name: 'allowed',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: `db/${randomBytes(4).toString('hex')}` },
    });
    expect(job.status, job.text).toBe(201);
    const jobId = (job.body as Json).job_id as string;
    const backupId = await backupNow(example, 'alice', jobId);
    const patched = await example.as('alice', 'PATCH', `/jobs/${jobId}`, {
      source: { connection_string: `postgresql://u@127.0.0.1:${port}/db` },
    });
    expect.soft(patched.status, patched.text).toBe(403);
    await runIfCreated('alice', patched.body as Json);
    for (const connection of sources.slice(0, 3)) {
      const reply = await example.as('alice', 'POST', '/restores', {
        backup_id: backupId,
        destination: { type: 'database', connection_string: connection, overwrite_existing: true },
      });
      expect.soft(reply.status, `${connection}: ${reply.text}`).toBe(403);
      const restoreId = (reply.body as Json).restore_id;
      if (typeof restoreId === 'string') await example.settle('alice', `/restores/${restoreId}/status`);
    }
    // The allowed server still works end to end, with no new variable beyond the host list.
    const restore = await example.as('alice', 'POST', '/restores', {
      backup_id: backupId,
      destination: { type: 'database', connection_string: target.url, overwrite_existing: true },
    });
    expect(restore.status, restore.text).toBe(202);
    const restored = await example.settle('alice', `/restores/${(restore.body as Json).restore_id}/status`);
    expect(restored.status, JSON.stringify(restored)).toBe('completed');
  });

  it('nothing ever connected to the trap', () => {
    expect(listener.attempts()).toBe(0);
  });
});
