/**
 * Example payloads of the documented API (docs/http-api.md), with connection strings and
 * destinations pointing at the local PostgreSQL and a `local` destination.
 */
import type { CreateJobInput, CreateRestoreInput, ExecuteJobInput, VerifyBackupInput } from '@backupkit/core';
import { expect } from 'vitest';

export const SPEC_KEY_ID = 'backup_key_123456789';
export const SPEC_CUSTOM_KEY_ID = 'custom_key_123456789';
export const PRINCIPAL = 'admin_principal_42';

/** `postgresql://user:pass@host:port/db` on the test server (trust auth ignores the password). */
export function withSpecPassword(url: string): string {
  const parsed = new URL(url);
  parsed.username = 'postgres';
  parsed.password = 'pass';
  return parsed.toString().replace(/^postgres:/, 'postgresql:');
}

/** How a connection string is shown with its password masked (`user:***@`). */
export function masked(url: string): string {
  return url.replace(/:pass@/, ':***@');
}

export function specCreateJobBody(connectionString: string): CreateJobInput {
  return {
    job_name: 'Daily Database Backup',
    description: 'Daily backup of all database tables',
    backup_type: 'full',
    source: {
      type: 'database',
      connection_string: connectionString,
      tables: ['users', 'deliveries', 'payments'],
      exclude_tables: ['temp_*', 'log_*'],
    },
    destination: {
      type: 'local',
      path: 'database/daily/',
      encryption: 'AES256',
      storage_class: 'STANDARD_IA',
    },
    schedule: {
      frequency: 'daily',
      time: '02:00',
      timezone: 'America/Toronto',
      enabled: true,
    },
    retention: {
      days: 30,
      weeks: 12,
      months: 12,
      years: 7,
    },
    compression: {
      enabled: true,
      algorithm: 'gzip',
      level: 6,
    },
    encryption: {
      enabled: true,
      algorithm: 'AES-256',
      key_id: 'backup_key_123456789',
    },
    verification: {
      enabled: true,
      checksum_verification: true,
      integrity_check: true,
      test_restore: false,
    },
    notifications: {
      on_success: true,
      on_failure: true,
      on_warning: false,
      recipients: ['admin@delivery.com', 'ops@delivery.com'],
    },
    created_by: 'admin_123456789',
  };
}

export function specExecuteBody(): ExecuteJobInput {
  return {
    execution_options: {
      priority: 'high',
      force_full_backup: false,
      skip_verification: false,
      notify_on_completion: true,
    },
    custom_parameters: {
      tables: ['users', 'deliveries'],
      compression_level: 9,
      encryption_key: 'custom_key_123456789',
    },
  };
}

export function specRestoreBody(backupId: string, sourceUrl: string, targetUrl: string): CreateRestoreInput {
  return {
    restore_name: 'Emergency Database Restore',
    description: 'Restore database from backup after incident',
    backup_id: backupId,
    source: {
      type: 'database',
      connection_string: sourceUrl,
      tables: ['users', 'deliveries', 'payments'],
    },
    destination: {
      type: 'database',
      connection_string: targetUrl,
      tables: ['users', 'deliveries', 'payments'],
      overwrite_existing: true,
      create_missing_tables: true,
    },
    restore_options: {
      verify_before_restore: true,
      verify_after_restore: true,
      skip_constraints: false,
      skip_indexes: false,
      parallel_restore: true,
      max_parallel_jobs: 4,
    },
    notifications: {
      on_success: true,
      on_failure: true,
      on_warning: true,
      recipients: ['admin@delivery.com', 'ops@delivery.com'],
    },
    created_by: 'admin_123456789',
  };
}

export function specVerifyBody(): VerifyBackupInput {
  return {
    verification_type: 'full',
    checksum_verification: true,
    integrity_check: true,
    test_restore: true,
    test_restore_options: {
      test_database: 'delivery_test_restore',
      test_tables: ['users', 'deliveries'],
      cleanup_after_test: true,
    },
  };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export function expectIso(value: unknown): void {
  expect(value).toEqual(expect.stringMatching(ISO_UTC));
}

export function expectIsoOrNull(value: unknown): void {
  if (value !== null) expectIso(value);
}

export function expectProgress(value: unknown): void {
  expect(Number.isInteger(value)).toBe(true);
  expect(value as number).toBeGreaterThanOrEqual(0);
  expect(value as number).toBeLessThanOrEqual(100);
}

/** Every key of `expected` is in `actual` (extra keys are allowed). */
export function expectKeys(actual: unknown, keys: readonly string[]): void {
  expect(actual).toBeTypeOf('object');
  expect(actual).not.toBeNull();
  for (const key of keys) expect(Object.keys(actual as object), `missing key ${key}`).toContain(key);
}
