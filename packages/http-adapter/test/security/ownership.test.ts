import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';
import { createSourceDatabase } from '../support/fixture.js';
import { backupNow, type Json, type SecureExample, startSecureExample } from './support.js';

describe('principals see and act on only their own objects; an admin sees all', () => {
  let example: SecureExample;
  let source: TempDatabase;
  let target: TempDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    source = await createSourceDatabase(300);
    target = await createTempDatabase('bk_sec_own');
    example = await startSecureExample();
    // alice, whose token carries no roles (as every token did before roles existed), does it all.
    const job = await example.as('alice', 'POST', '/jobs', {
      job_name: 'alice-db',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: `alice/${randomBytes(4).toString('hex')}` },
      retention: { last: 5 },
    });
    expect(job.status, job.text).toBe(201);
    ids.job = (job.body as Json).job_id as string;
    ids.backup = await backupNow(example, 'alice', ids.job);
    const status = (await example.as('alice', 'GET', `/jobs/${ids.job}/status`)).body as Json;
    ids.execution = status.execution_id as string;
    const verify = await example.as('alice', 'POST', `/backups/${ids.backup}/verify`, {});
    expect(verify.status, verify.text).toBe(202);
    ids.verification = (verify.body as Json).verification_id as string;
    expect((await example.settle('alice', `/verifications/${ids.verification}`)).status).toBe('passed');
    const restore = await example.as('alice', 'POST', '/restores', {
      backup_id: ids.backup,
      destination: { type: 'database', connection_string: target.url, overwrite_existing: true },
    });
    expect(restore.status, restore.text).toBe(202);
    ids.restore = (restore.body as Json).restore_id as string;
    expect((await example.settle('alice', `/restores/${ids.restore}/status`)).status).toBe('completed');
  });
  afterAll(async () => {
    await example?.stop();
    await source?.drop();
    await target?.drop();
  });

  it("bob gets 404 for every one of alice's objects, and changes nothing", async () => {
    const calls: Array<[string, string, unknown, string]> = [
      ['GET', `/jobs/${ids.job}`, undefined, 'job_not_found'],
      ['PATCH', `/jobs/${ids.job}`, { job_name: 'mine now' }, 'job_not_found'],
      ['POST', `/jobs/${ids.job}/execute`, {}, 'job_not_found'],
      ['GET', `/jobs/${ids.job}/status`, undefined, 'job_not_found'],
      ['GET', `/jobs/${ids.job}/status?execution_id=${ids.execution}`, undefined, 'job_not_found'],
      ['GET', `/jobs/${ids.job}/executions`, undefined, 'job_not_found'],
      ['POST', `/jobs/${ids.job}/retention/apply`, { dry_run: true }, 'job_not_found'],
      ['POST', `/jobs/${ids.job}/retention/apply`, {}, 'job_not_found'],
      ['POST', `/executions/${ids.execution}/cancel`, {}, 'execution_not_found'],
      ['POST', `/backups/${ids.backup}/verify`, {}, 'backup_not_found'],
      ['GET', `/verifications/${ids.verification}`, undefined, 'verification_not_found'],
      ['GET', `/restores/${ids.restore}/status`, undefined, 'restore_not_found'],
      [
        'POST',
        '/restores',
        { backup_id: ids.backup, destination: { type: 'database', connection_string: target.url } },
        'backup_not_found',
      ],
      ['DELETE', `/jobs/${ids.job}`, undefined, 'job_not_found'],
    ];
    for (const [method, route, body, code] of calls) {
      const reply = await example.as('bob', method, route, body);
      expect(reply.status, `${method} ${route}: ${reply.text}`).toBe(404);
      expect((reply.body as Json).error).toBe(code);
    }
    const job = (await example.as('alice', 'GET', `/jobs/${ids.job}`)).body as Json;
    expect(job).toMatchObject({ job_name: 'alice-db', status: 'active' });
    const files = (await example.as('alice', 'GET', `/files?job_id=${ids.job}`)).body as Json;
    expect(files.total).toBe(1);
  });

  it("bob's lists, files and analytics hold none of alice's objects", async () => {
    const jobs = (await example.as('bob', 'GET', '/jobs')).body as Json;
    expect(jobs).toMatchObject({ total: 0, jobs: [] });
    for (const route of ['/files', `/files?job_id=${ids.job}`]) {
      const files = (await example.as('bob', 'GET', route)).body as Json;
      expect(files).toMatchObject({ total: 0, files: [] });
    }
    const analytics = (await example.as('bob', 'GET', '/analytics')).body as Json;
    expect(analytics.overview).toMatchObject({ total_jobs: 0, total_backups: 0, total_restores: 0 });
    expect(JSON.stringify(analytics)).not.toContain(ids.job!);
  });

  it('alice sees her own, a viewer of alice reads but cannot act, the admin sees everything', async () => {
    const own = (await example.as('alice', 'GET', '/analytics')).body as Json;
    expect(own.overview).toMatchObject({ total_jobs: 1, total_backups: 1, total_restores: 1 });
    expect(((await example.as('aliceViewer', 'GET', '/jobs')).body as Json).total).toBe(1);
    const viewerRun = await example.as('aliceViewer', 'POST', `/jobs/${ids.job}/execute`, {});
    expect(viewerRun.status).toBe(403);
    const bobJob = await example.as('bob', 'POST', '/jobs', {
      job_name: 'bob-db',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: `bob/${randomBytes(4).toString('hex')}` },
    });
    expect(bobJob.status).toBe(201);
    const all = (await example.as('admin', 'GET', '/jobs')).body as Json;
    expect(all.total).toBe(2);
    expect((await example.as('admin', 'GET', `/jobs/${ids.job}`)).status).toBe(200);
    expect((await example.as('admin', 'GET', `/restores/${ids.restore}/status`)).status).toBe(200);
    expect(((await example.as('admin', 'GET', '/files')).body as Json).total).toBe(1);
  });
});
