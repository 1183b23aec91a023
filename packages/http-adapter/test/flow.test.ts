import { responseSchemas } from '@backupkit/http-adapter';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import { createTempDatabase } from '../../../test-support/postgres.js';
import {
  createFixture,
  createSourceDatabase,
  type Fixture,
  fingerprint,
  KEY_ID,
  pollUntil,
  SENTINEL,
  withPassword,
} from './support/fixture.js';
import { type ApiServer, call, FRAMEWORKS } from './support/servers.js';

type Json = Record<string, unknown>;

// One source and one target for both frameworks (CREATE DATABASE costs about a second):
// the second restore overwrites the first one's tables.
let source: TempDatabase;
let target: TempDatabase;
beforeAll(async () => {
  [source, target] = await Promise.all([createSourceDatabase(), createTempDatabase('bk_http_dst')]);
});
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
});

describe.each(FRAMEWORKS)('full flow over HTTP on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('create → execute → completed → listed → verified → restored with identical data; documented shapes', async () => {
    const token = SENTINEL.tokenAlice;
    const created = await call(server.url, 'POST', '/jobs', {
      token,
      body: {
        job_name: 'Daily Database Backup',
        description: 'Daily backup of all database tables',
        backup_type: 'full',
        source: {
          type: 'database',
          connection_string: withPassword(source.url),
          tables: ['users', 'deliveries'],
        },
        destination: { type: 'local', path: 'db/daily/' },
        schedule: { frequency: 'daily', time: '02:00', timezone: 'America/Toronto', enabled: true },
        retention: { days: 30, weeks: 12, months: 12, years: 7 },
        compression: { enabled: true, algorithm: 'zstd', level: 3 },
        encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
        verification: {
          enabled: true,
          checksum_verification: true,
          integrity_check: true,
          test_restore: false,
        },
        notifications: { on_success: false, on_failure: false, on_warning: false, recipients: [] },
        created_by: 'mallory',
      },
    });
    expect(created.status, created.text).toBe(201);
    const job = created.body as Json;
    responseSchemas.jobResponse.parse(job);
    expect(job.job_id).toMatch(/^job_/);
    expect(job.created_by).toBe('alice');
    expect(job.status).toBe('active');
    expect(job.next_run).toEqual(expect.any(String));
    expect(String((job.source as Json).connection_string)).not.toContain(SENTINEL.password);

    const executed = await call(server.url, 'POST', `/jobs/${job.job_id}/execute`, {
      token,
      body: { execution_options: { priority: 'high', notify_on_completion: false } },
    });
    expect(executed.status, executed.text).toBe(202);
    const execution = executed.body as Json;
    responseSchemas.executionResponse.parse(execution);
    expect(execution.execution_id).toMatch(/^exec_/);
    expect(execution.job_id).toBe(job.job_id);
    expect(execution.executed_by).toBe('alice');
    expect(['queued', 'running']).toContain(execution.status);

    const status = await pollUntil(
      async () => (await call(server.url, 'GET', `/jobs/${job.job_id}/status`, { token })).body as Json,
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(status.status, JSON.stringify(status)).toBe('completed');
    responseSchemas.jobStatusResponse.parse(status);
    expect(status.progress).toBe(100);
    const result = status.result as Json;
    expect(result.backup_id).toMatch(/^backup_/);
    expect(result.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);

    const files = await call(
      server.url,
      'GET',
      `/files?job_id=${job.job_id}&backup_type=full&limit=10&offset=0`,
      {
        token,
      },
    );
    expect(files.status, files.text).toBe(200);
    responseSchemas.filesResponse.parse(files.body);
    const listing = files.body as {
      files: Json[];
      total: number;
      limit: number;
      offset: number;
      filters: Json;
    };
    expect(listing.total).toBe(1);
    expect(listing.limit).toBe(10);
    expect(listing.files[0]!.backup_id).toBe(result.backup_id);
    expect(listing.files[0]!.job_name).toBe('Daily Database Backup');

    const verify = await call(server.url, 'POST', `/backups/${result.backup_id}/verify`, {
      token,
      body: {
        verification_type: 'full',
        checksum_verification: true,
        integrity_check: true,
        test_restore: false,
      },
    });
    expect(verify.status, verify.text).toBe(202);
    const verification = verify.body as Json;
    responseSchemas.verificationResponse.parse(verification);
    expect(verification.verification_id).toMatch(/^verify_/);
    const verified = await pollUntil(
      async () =>
        (await call(server.url, 'GET', `/verifications/${verification.verification_id}`, { token }))
          .body as Json,
      (value) => !['queued', 'running'].includes(String(value.status)),
    );
    expect(verified.status, JSON.stringify(verified)).toBe('passed');

    const restore = await call(server.url, 'POST', '/restores', {
      token,
      body: {
        restore_name: 'Emergency Database Restore',
        backup_id: result.backup_id,
        destination: {
          type: 'database',
          connection_string: withPassword(target.url),
          overwrite_existing: true,
          create_missing_tables: true,
        },
        restore_options: { verify_after_restore: true, max_parallel_jobs: 2 },
      },
    });
    expect(restore.status, restore.text).toBe(202);
    const restoreView = restore.body as Json;
    responseSchemas.restoreResponse.parse(restoreView);
    expect(restoreView.restore_id).toMatch(/^restore_/);
    expect(restoreView.created_by).toBe('alice');
    const restored = await pollUntil(
      async () =>
        (await call(server.url, 'GET', `/restores/${restoreView.restore_id}/status`, { token })).body as Json,
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(restored.status, JSON.stringify(restored)).toBe('completed');
    responseSchemas.restoreStatusResponse.parse(restored);
    const analytics = await call(server.url, 'GET', `/analytics?job_id=${job.job_id}`, { token });
    expect(analytics.status, analytics.text).toBe(200);
    const report = responseSchemas.analyticsResponse.parse(analytics.body);
    expect(report.overview.total_backups).toBe(1);
    expect(report.overview.total_restores).toBe(1);
    expect(await fingerprint(target.url)).toEqual(await fingerprint(source.url));

    const audit = await fixture.catalog.listAudit({ principal: 'alice', limit: 50, offset: 0 });
    const actions = audit.items.filter((entry) => entry.outcome === 'success').map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining(['job.create', 'job.execute', 'backup.verify', 'restore.create']),
    );
    const createEntry = audit.items.find((entry) => entry.action === 'job.create')!;
    expect(createEntry.target_id).toBe(job.job_id);
    expect(createEntry.at).toEqual(expect.any(String));
  });
});
