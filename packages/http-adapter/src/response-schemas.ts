import { z } from 'zod';

/**
 * The spec's response shapes, field by field, for the OpenAPI document and for tests that
 * check real responses against them. Loose objects: the service may add fields (e.g.
 * `updated_at`), never drop or retype a documented one.
 */
const time = z.string().describe('ISO-8601 UTC');
const nullableTime = time.nullable();
const object = z.record(z.string(), z.unknown());
const errorInfo = z.looseObject({ code: z.string(), message: z.string() }).nullable();

export const jobResponse = z.looseObject({
  job_id: z.string(),
  job_name: z.string(),
  description: z.string().nullable(),
  backup_type: z.enum(['full', 'incremental', 'differential']),
  source: object.describe('connection_string password masked as ***'),
  destination: object,
  schedule: object.nullable(),
  retention: object.nullable(),
  compression: object,
  encryption: object,
  verification: object,
  notifications: object.nullable(),
  status: z.string(),
  created_at: time,
  created_by: z.string().nullable(),
  last_run: nullableTime,
  next_run: nullableTime,
});

export const executionResponse = z.looseObject({
  execution_id: z.string(),
  job_id: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  progress: z.number().int().min(0).max(100),
  started_at: nullableTime,
  estimated_completion: nullableTime,
  execution_options: object,
  custom_parameters: object,
  executed_by: z.string().nullable(),
});

export const backupResult = z.looseObject({
  backup_id: z.string(),
  file_path: z.string(),
  file_size: z.number(),
  compression_ratio: z.number(),
  encryption: z.string().nullable(),
  checksum: z.string(),
  created_at: time,
});

export const jobStatusResponse = z.looseObject({
  job_id: z.string(),
  status: z.string(),
  execution_id: z.string().nullable(),
  progress: z.number().int().min(0).max(100),
  started_at: nullableTime,
  completed_at: nullableTime,
  duration: z.number().nullable().describe('seconds'),
  result: backupResult.nullable(),
  verification: z
    .looseObject({
      status: z.string(),
      checksum_verified: z.boolean(),
      integrity_verified: z.boolean(),
      test_restore_verified: z.boolean(),
      verified_at: nullableTime,
    })
    .nullable(),
  error: errorInfo,
  next_run: nullableTime,
});

export const backupFile = z.looseObject({
  backup_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  backup_type: z.string(),
  file_path: z.string(),
  file_size: z.number(),
  compression_ratio: z.number(),
  encryption: z.string().nullable(),
  checksum: z.string(),
  status: z.string(),
  created_at: time,
  verified_at: nullableTime,
  retention_until: nullableTime,
});

export const filesResponse = z.looseObject({
  files: z.array(backupFile),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  filters: object,
});

export const restoreResponse = z.looseObject({
  restore_id: z.string(),
  restore_name: z.string(),
  description: z.string().nullable(),
  backup_id: z.string(),
  source: object.nullable(),
  destination: object,
  restore_options: object,
  notifications: object.nullable(),
  status: z.string(),
  created_at: time,
  created_by: z.string().nullable(),
  started_at: nullableTime,
  completed_at: nullableTime,
});

export const restoreStatusResponse = z.looseObject({
  restore_id: z.string(),
  status: z.string(),
  progress: z.number().int().min(0).max(100),
  started_at: nullableTime,
  completed_at: nullableTime,
  duration: z.number().nullable(),
  result: z
    .looseObject({
      tables_restored: z.number(),
      records_restored: z.number(),
      data_size: z.number(),
      restored_at: time,
    })
    .nullable(),
  verification: object.nullable(),
  error: errorInfo,
});

export const verificationResponse = z.looseObject({
  verification_id: z.string(),
  backup_id: z.string(),
  verification_type: z.string(),
  status: z.string(),
  progress: z.number().int().min(0).max(100),
  started_at: nullableTime,
  estimated_completion: nullableTime,
  checksum_verification: z.boolean(),
  integrity_check: z.boolean(),
  test_restore: z.boolean(),
  test_restore_options: object.nullable(),
});

const rateAndSize = { success_rate: z.number(), average_size: z.number(), average_duration: z.number() };

export const analyticsResponse = z.looseObject({
  overview: z.looseObject({
    total_jobs: z.number(),
    active_jobs: z.number(),
    total_backups: z.number(),
    successful_backups: z.number(),
    failed_backups: z.number(),
    total_restores: z.number(),
    successful_restores: z.number(),
    failed_restores: z.number(),
    total_storage_used: z.number(),
    average_backup_size: z.number(),
  }),
  job_breakdown: z.array(
    z.looseObject({ job_id: z.string(), job_name: z.string(), backups: z.number(), ...rateAndSize }),
  ),
  backup_types: z.array(z.looseObject({ type: z.string(), count: z.number(), ...rateAndSize })),
  storage_breakdown: z.array(
    z.looseObject({
      destination: z.string(),
      total_size: z.number(),
      backup_count: z.number(),
      average_size: z.number(),
      cost_per_month: z.number().nullable(),
    }),
  ),
  time_series: z.array(
    z.looseObject({
      date: z.string(),
      backups_created: z.number(),
      successful_backups: z.number(),
      failed_backups: z.number(),
      storage_used: z.number(),
    }),
  ),
  generated_at: time,
});
