import type { AnalyticsAggregates, AnalyticsFilter } from '../catalog/catalog-repository.js';
import type {
  AuditRecord,
  BackupRecord,
  ExecutionRecord,
  JobRecord,
  RestoreRecord,
  ScheduleRecord,
  VerificationRecord,
} from '../catalog/records.js';

/** Record factories and a deterministic data set for `catalogConformance`. */

let counter = 0;
/** A unique, sortable-enough identifier with `prefix`. */
export function fixtureId(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter.toString(36).padStart(5, '0')}${Math.random().toString(36).slice(2, 6)}`;
}

export const T0 = '2024-01-15T14:30:00.000Z';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function makeJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    job_id: fixtureId('job'),
    job_name: 'Daily Database Backup — Ünïcødé 日本 🚀',
    description: null,
    backup_type: 'full',
    source: {
      type: 'database',
      connection_string: 'postgresql://app:***@db:5432/app',
      tables: ['a', 'b'],
      nested: { n: 1, f: 1.5, t: true, z: null },
    },
    destination: { type: 's3', bucket: 'b', path: 'db/daily', storage_class: 'STANDARD_IA' },
    schedule: { frequency: 'daily', time: '02:00', timezone: 'UTC' },
    retention: null,
    compression: { enabled: true, algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256-GCM', key_id: 'k1' },
    verification: { enabled: true, checksum: true },
    notifications: null,
    status: 'active',
    created_at: T0,
    created_by: 'admin_123456789',
    updated_at: T0,
    last_run: null,
    next_run: '2024-01-16T02:00:00.000Z',
    ...overrides,
  };
}

export function makeSchedule(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    job_id: fixtureId('job'),
    frequency: 'weekly',
    day_of_month: null,
    day_of_week: 3,
    time: '02:30',
    timezone: 'America/Toronto',
    enabled: true,
    last_executed: null,
    next_execution: '2024-01-17T07:30:00.000Z',
    created_at: T0,
    updated_at: T0,
    ...overrides,
  };
}

export function makeExecution(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    execution_id: fixtureId('exec'),
    job_id: fixtureId('job'),
    status: 'queued',
    progress: 0,
    bytes_done: 0,
    bytes_total: 5_000_000_000,
    execution_options: { backup_type: 'incremental', priority: 'high', tags: ['x', 'ÿ'] },
    custom_parameters: {},
    executed_by: 'admin_123456789',
    trigger: 'manual',
    scheduled_for: null,
    priority: 0,
    owner: null,
    lease_expires_at: null,
    created_at: T0,
    started_at: null,
    completed_at: null,
    estimated_completion: null,
    backup_id: null,
    error: null,
    ...overrides,
  };
}

export function makeBackup(overrides: Partial<BackupRecord> = {}): BackupRecord {
  return {
    backup_id: fixtureId('backup'),
    job_id: fixtureId('job'),
    job_name: 'Daily',
    execution_id: null,
    backup_type: 'full',
    status: 'completed',
    file_path: 's3://bucket/db/daily/snapshots/backup_x.json',
    destination_type: 's3',
    storage_class: 'STANDARD_IA',
    file_size: 5_368_709_120,
    logical_size: 17_179_869_184,
    new_bytes: 1_073_741_824,
    compression_ratio: 0.3125,
    encryption: 'AES-256-GCM',
    checksum: `sha256:${'ab'.repeat(32)}`,
    parent_backup_id: null,
    started_at: '2024-01-15T14:00:00.000Z',
    created_at: T0,
    duration: 1800.25,
    verified_at: null,
    verification_status: null,
    retention_until: '2024-02-15T14:30:00.000Z',
    destination: { type: 's3', bucket: 'bucket', path: 'db/daily' },
    metadata: { entries: 12, tables: { 'public.users': 1000 } },
    ...overrides,
  };
}

export function makeRestore(overrides: Partial<RestoreRecord> = {}): RestoreRecord {
  return {
    restore_id: fixtureId('restore'),
    backup_id: fixtureId('backup'),
    restore_name: 'Restore — ñ',
    description: 'to staging',
    source: null,
    destination: { type: 'database', connection_string: 'postgresql://u:***@h/db' },
    restore_options: { overwrite_existing: false, tables: ['users'] },
    notifications: { on_completion: ['ops@example.com'] },
    status: 'queued',
    progress: 0,
    created_at: T0,
    created_by: 'admin_1',
    started_at: null,
    completed_at: null,
    estimated_completion: null,
    result: null,
    verification: null,
    error: null,
    ...overrides,
  };
}

export function makeVerification(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return {
    verification_id: fixtureId('verify'),
    backup_id: fixtureId('backup'),
    verification_type: 'full',
    status: 'queued',
    progress: 0,
    created_at: T0,
    started_at: null,
    completed_at: null,
    estimated_completion: null,
    checksum_verification: true,
    integrity_check: false,
    test_restore: true,
    test_restore_options: { target: 'scratch' },
    result: null,
    error: null,
    requested_by: null,
    ...overrides,
  };
}

export function makeAudit(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    audit_id: fixtureId('audit'),
    at: T0,
    principal: 'admin_1',
    action: 'job.create',
    target_type: 'job',
    target_id: 'job_1',
    outcome: 'success',
    details: { ip: '127.0.0.1', note: 'ç' },
    ...overrides,
  };
}

/** Small deterministic PRNG so generated data sets are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface AnalyticsDataSet {
  jobs: JobRecord[];
  backups: BackupRecord[];
  executions: ExecutionRecord[];
  restores: RestoreRecord[];
}

/** Who created the data set's jobs: `job_an_1` and `job_an_3` (deleted) are `OWNER_A`'s, the rest `OWNER_B`'s. */
export const OWNER_A = 'principal_a';
export const OWNER_B = 'principal_b';

/** A few hundred rows over ~20 days, every status, type and destination mixed. */
export function analyticsDataSet(seed = 7, backupCount = 300): AnalyticsDataSet {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const day0 = Date.parse('2024-03-01T00:00:00.000Z');
  const jobs = ['active', 'active', 'paused', 'deleted', 'active'].map((status, i) =>
    makeJob({
      job_id: `job_an_${i}`,
      job_name: `Job ${i}`,
      status: status as JobRecord['status'],
      backup_type: i % 2 ? 'incremental' : 'full',
      created_by: i % 2 ? OWNER_A : OWNER_B,
    }),
  );
  const backups: BackupRecord[] = [];
  for (let i = 0; i < backupCount; i++) {
    const job = pick(jobs);
    const backup = makeBackup({
      backup_id: `backup_an_${i.toString().padStart(5, '0')}`,
      job_id: job.job_id,
      job_name: job.job_name,
      backup_type: pick(['full', 'incremental', 'differential'] as const),
      status: pick(['completed', 'completed', 'completed', 'failed', 'deleted'] as const),
      destination_type: pick(['s3', 'local', 'azure']),
      storage_class: pick(['STANDARD', null, 'COOL']),
      file_size: Math.floor(rand() * 6_000_000_000),
      logical_size: Math.floor(rand() * 20_000_000_000),
      duration: Math.floor(rand() * 4000) / 4,
      created_at: iso(day0 + Math.floor(rand() * 20 * 86_400_000)),
    });
    // A varying share of the stored bytes is new; derived from i so the random stream is unchanged.
    backup.new_bytes = Math.floor((backup.file_size * ((i * 37) % 101)) / 100);
    backups.push(backup);
  }
  const executions: ExecutionRecord[] = [];
  for (let i = 0; i < Math.floor(backupCount / 4); i++) {
    // `unknown_job` has no job row: its failures still count, typed `unknown` unless the options say.
    const jobId = rand() < 0.1 ? 'job_an_unknown' : pick(jobs).job_id;
    executions.push(
      makeExecution({
        execution_id: `exec_an_${i.toString().padStart(5, '0')}`,
        job_id: jobId,
        status: pick(['failed', 'failed', 'completed', 'cancelled'] as const),
        execution_options: rand() < 0.5 ? { backup_type: 'differential' } : {},
        created_at: iso(day0 + Math.floor(rand() * 20 * 86_400_000)),
      }),
    );
  }
  const restores: RestoreRecord[] = [];
  for (let i = 0; i < 40; i++) {
    restores.push(
      makeRestore({
        restore_id: `restore_an_${i}`,
        backup_id: pick(backups).backup_id,
        status: pick(['completed', 'failed', 'queued', 'running'] as const),
        created_at: iso(day0 + Math.floor(rand() * 20 * 86_400_000)),
      }),
    );
  }
  return { jobs, backups, executions, restores };
}

/**
 * The analytics of `data` recounted the plain way (loop over rows, one rule at a time), to check
 * a catalog's aggregates against. The rules are in catalog/analytics-rules.ts.
 */
export function recountAnalytics(data: AnalyticsDataSet, filter: AnalyticsFilter): AnalyticsAggregates {
  const from = filter.date_from ? new Date(filter.date_from).toISOString() : '';
  const to = filter.date_to ? new Date(filter.date_to).toISOString() : '\uffff';
  const owned =
    filter.owner === undefined
      ? null
      : new Set(data.jobs.filter((j) => j.created_by === filter.owner).map((j) => j.job_id));
  const forJob = (jobId: string) =>
    (filter.job_id === undefined || jobId === filter.job_id) && (owned === null || owned.has(jobId));
  const ok = data.backups.filter(
    (b) => b.status === 'completed' && forJob(b.job_id) && b.created_at >= from && b.created_at <= to,
  );
  const failed = data.executions.filter(
    (e) => e.status === 'failed' && forJob(e.job_id) && e.created_at >= from && e.created_at <= to,
  );
  const jobOf = (id: string) => data.jobs.find((j) => j.job_id === id);
  const failedType = (e: ExecutionRecord) =>
    typeof e.execution_options.backup_type === 'string'
      ? e.execution_options.backup_type
      : (jobOf(e.job_id)?.backup_type ?? 'unknown');
  const sizeOf = (list: BackupRecord[]) => list.reduce((s, b) => s + b.file_size, 0);
  const durationOf = (list: BackupRecord[]) => list.reduce((s, b) => s + b.duration, 0);
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

  const jobIds = [...new Set([...ok.map((b) => b.job_id), ...failed.map((e) => e.job_id)])];
  const jobBreakdown = jobIds.map((jobId) => {
    const mine = ok.filter((b) => b.job_id === jobId);
    const names = mine.map((b) => b.job_name).sort(byText);
    return {
      job_id: jobId,
      job_name: jobOf(jobId)?.job_name ?? names[names.length - 1] ?? jobId,
      backups: mine.length + failed.filter((e) => e.job_id === jobId).length,
      successful: mine.length,
      total_size: sizeOf(mine),
      logical_size: mine.reduce((s, b) => s + b.logical_size, 0),
      new_bytes: mine.reduce((s, b) => s + b.new_bytes, 0),
      total_duration: durationOf(mine),
    };
  });
  jobBreakdown.sort((a, b) => b.backups - a.backups || byText(a.job_id, b.job_id));

  const types = [...new Set([...ok.map((b) => b.backup_type as string), ...failed.map(failedType)])].sort(
    byText,
  );
  const backupTypes = types.map((type) => {
    const mine = ok.filter((b) => b.backup_type === type);
    return {
      type,
      count: mine.length + failed.filter((e) => failedType(e) === type).length,
      successful: mine.length,
      total_size: sizeOf(mine),
      total_duration: durationOf(mine),
    };
  });

  const stores = [...new Set(ok.map((b) => JSON.stringify([b.destination_type, b.storage_class])))];
  const storageBreakdown = stores.map((key) => {
    const [destination, storageClass] = JSON.parse(key) as [string, string | null];
    const mine = ok.filter((b) => b.destination_type === destination && b.storage_class === storageClass);
    return { destination, storage_class: storageClass, total_size: sizeOf(mine), backup_count: mine.length };
  });
  storageBreakdown.sort(
    (a, b) => byText(a.destination, b.destination) || byText(a.storage_class ?? '', b.storage_class ?? ''),
  );

  const days = [...new Set([...ok, ...failed].map((r) => r.created_at.slice(0, 10)))].sort(byText);
  const timeSeries = days.map((date) => {
    const mine = ok.filter((b) => b.created_at.startsWith(date));
    const bad = failed.filter((e) => e.created_at.startsWith(date)).length;
    return {
      date,
      backups_created: mine.length + bad,
      successful_backups: mine.length,
      failed_backups: bad,
      storage_used: sizeOf(mine),
    };
  });

  const backupIdsOfJob = new Set(data.backups.filter((b) => forJob(b.job_id)).map((b) => b.backup_id));
  const restores = data.restores.filter(
    (r) =>
      ((filter.job_id === undefined && owned === null) || backupIdsOfJob.has(r.backup_id)) &&
      r.created_at >= from &&
      r.created_at <= to,
  );
  const liveJobs = data.jobs.filter((j) => j.status !== 'deleted' && forJob(j.job_id));
  const storage = sizeOf(ok);
  return {
    overview: {
      total_jobs: liveJobs.length,
      active_jobs: liveJobs.filter((j) => j.status === 'active').length,
      total_backups: ok.length + failed.length,
      successful_backups: ok.length,
      failed_backups: failed.length,
      total_restores: restores.length,
      successful_restores: restores.filter((r) => r.status === 'completed').length,
      failed_restores: restores.filter((r) => r.status === 'failed').length,
      total_storage_used: storage,
      average_backup_size: ok.length ? Math.round(storage / ok.length) : 0,
    },
    job_breakdown: jobBreakdown,
    backup_types: backupTypes,
    storage_breakdown: storageBreakdown,
    time_series: timeSeries,
  };
}
