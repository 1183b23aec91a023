import { BackupError, createMemoryCatalog } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsJob, makeService } from './helpers.js';

/** What a plain JavaScript caller may pass: anything, which the service checks at runtime. */
const untyped = (value: unknown): never => value as never;

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

describe('jobs', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  const catalog = createMemoryCatalog();
  beforeEach(async () => {
    // These jobs name nominal paths (/srv/data, /x) that are never read: any root will do.
    ctx = await makeService({ catalog, access: { sourceRoots: ['/'] } });
  });
  afterEach(() => ctx.cleanup());

  it('creates, reads, lists, updates and deletes a job', async () => {
    const { service } = ctx;
    const created = await service.createJob(
      fsJob('/srv/data', {
        schedule: { frequency: 'daily', time: '02:00', timezone: 'America/Toronto', enabled: true },
        retention: { days: 30, weeks: 12, months: 12, years: 7 },
        notifications: {
          on_success: true,
          on_failure: true,
          on_warning: false,
          recipients: ['ops@example.com'],
        },
        created_by: 'someone_else',
      }),
      { principal: 'admin_1' },
    );
    expect(String(created.job_id)).toMatch(/^job_[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      job_name: 'Files',
      backup_type: 'incremental',
      status: 'active',
      created_by: 'admin_1',
      last_run: null,
      compression: { enabled: true, algorithm: 'zstd', level: 3 },
      encryption: { enabled: true, algorithm: 'AES-256', key_id: 'test_key' },
      schedule: { frequency: 'daily', time: '02:00', timezone: 'America/Toronto', enabled: true },
      retention: { days: 30, weeks: 12, months: 12, years: 7 },
    });
    // 02:00 in Toronto is 07:00Z (EST) or 06:00Z (EDT).
    expect(String(created.next_run)).toMatch(/T0[67]:00:00\.000Z$/);

    const id = String(created.job_id);
    expect(await service.getJob(id)).toEqual(created);
    const listed = await service.listJobs();
    expect(listed).toMatchObject({ total: 1, limit: 50, offset: 0 });

    const updated = await service.updateJob(id, { job_name: 'Renamed', schedule: { enabled: false } });
    expect(updated).toMatchObject({
      job_name: 'Renamed',
      next_run: null,
      schedule: { time: '02:00', enabled: false },
    });
    const paused = await service.updateJob(id, { status: 'paused' });
    expect(paused.status).toBe('paused');
    expect((await service.listJobs({ status: 'paused' })).total).toBe(1);

    await service.deleteJob(id);
    expect((await rejection(service.getJob(id))).code).toBe('job_not_found');
    expect((await service.listJobs()).total).toBe(0);
    expect((await rejection(service.deleteJob('job_nope'))).code).toBe('job_not_found');
  });

  it('rejects bad payloads listing every problem, and writes nothing', async () => {
    const { service } = ctx;
    const before = (await catalog.listJobs({ limit: 100, offset: 0 })).total;

    const missing = await rejection(service.createJob(untyped({ ...fsJob('/x'), job_name: undefined })));
    expect(missing.code).toBe('validation_failed');
    expect(missing.message).toBe('Backup validation failed');
    expect(missing.details.issues).toEqual(['Missing required field: job_name']);

    const many = await rejection(
      service.createJob(
        untyped({
          ...fsJob('/x'),
          job_name: undefined,
          backup_type: 'weekly-ish',
          compression: { enabled: true, algorithm: 'gzip', level: 12 },
          // A bad time zone is unusable configuration (400), not a schema issue: see contract-errors.
          schedule: { frequency: 'daily', time: '25:00', timezone: 'Mars/Olympus_Mons' },
          retention: { days: -1 },
          encryption: { enabled: true },
          surprise: true,
        }),
      ),
    );
    expect(many.code).toBe('validation_failed');
    expect(many.details.issues).toEqual([
      'Missing required field: job_name',
      'Invalid field backup_type: must be full, incremental or differential',
      'Invalid schedule configuration: schedule.time must be HH:MM (24-hour)',
      'Invalid retention policy: retention.days must be 0 or more',
      'Invalid compression configuration: compression.level must be 1-9 for gzip',
      'Invalid encryption configuration: encryption.key_id is required when encryption is enabled',
      'Unknown field: surprise',
    ]);

    const zstd = await rejection(
      service.createJob(fsJob('/x', { compression: { algorithm: 'zstd', level: 22 } })),
    );
    expect(zstd.details.issues).toEqual([
      'Invalid compression configuration: compression.level must be 1-19 for zstd',
    ]);
    const brotli = await rejection(
      service.createJob(fsJob('/x', { compression: { algorithm: 'brotli', level: 12 } })),
    );
    expect(brotli.details.issues).toEqual([
      'Invalid compression configuration: compression.level must be 0-11 for brotli',
    ]);
    // brotli 0 is a valid level (the one job this test writes).
    const ok = await service.createJob(fsJob('/x', { compression: { algorithm: 'brotli', level: 0 } }));
    expect(ok.compression).toEqual({ enabled: true, algorithm: 'brotli', level: 0 });

    const cron = await rejection(
      service.createJob(fsJob('/x', { schedule: { frequency: 'every tuesday-ish' } })),
    );
    expect(cron.details.issues).toEqual([
      'Invalid schedule configuration: schedule.frequency must be hourly, daily, weekly, monthly or a valid cron expression',
    ]);
    const source = await rejection(service.createJob(fsJob('/x', { source: { type: 'ftp', path: '/x' } })));
    // An unknown source type is unusable configuration (400), naming the field.
    expect(source.code).toBe('invalid_backup_config');
    expect(source.details).toMatchObject({ field: 'source.type', issue: expect.stringContaining('"ftp"') });
    const notObject = await rejection(service.createJob(untyped('hello')));
    expect(notObject.details.issues).toEqual(['Request body must be a JSON object']);

    // Well-formed but unusable: a config error naming the field.
    const key = await rejection(
      service.createJob(fsJob('/x', { encryption: { enabled: true, key_id: 'nope' } })),
    );
    expect(key.toJSON()).toEqual({
      error: 'invalid_backup_config',
      message: 'Invalid backup configuration: No encryption key with id "nope" is available',
      details: { field: 'encryption.key_id', issue: 'No encryption key with id "nope" is available' },
    });
    const driver = await rejection(
      service.createJob(fsJob('/x', { destination: { type: 's3', bucket: 'b' } })),
    );
    expect(driver.code).toBe('invalid_backup_config');
    expect(driver.details.field).toBe('destination.type');
    for (const outside of ['../outside', 'a/../../b', '/../../etc']) {
      const error = await rejection(
        service.createJob(fsJob('/x', { destination: { type: 'local', path: outside } })),
      );
      expect(error.code).toBe('invalid_backup_config');
      expect(error.details.field).toBe('destination.path');
    }

    expect((await catalog.listJobs({ limit: 100, offset: 0 })).total).toBe(before + 1);
  });

  it('validates updates as a whole and leaves the job unchanged when they are bad', async () => {
    const { service } = ctx;
    const job = await service.createJob(fsJob('/x'));
    const id = String(job.job_id);
    const bad = await rejection(service.updateJob(id, untyped({ compression: { level: 30 }, nonsense: 1 })));
    expect(bad.details.issues).toEqual(['Unknown field: nonsense']);
    const level = await rejection(service.updateJob(id, { compression: { level: 30 } }));
    expect(level.details.issues).toEqual([
      'Invalid compression configuration: compression.level must be 1-19 for zstd',
    ]);
    expect(await service.getJob(id)).toEqual(job);
  });
});
