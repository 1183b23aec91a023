/** Assertions of the documented response shapes: every documented key, with its type and units. */
import type { View } from '@backupkit/core';
import { expect } from 'vitest';
import { expectIso, expectIsoOrNull, expectKeys, expectProgress } from './contract-fixtures.js';

export function expectExecutionView(view: View): void {
  expectKeys(view, [
    'execution_id',
    'job_id',
    'status',
    'progress',
    'started_at',
    'estimated_completion',
    'execution_options',
    'custom_parameters',
    'executed_by',
  ]);
  expect(view.execution_id).toEqual(expect.stringMatching(/^exec_/));
  expectProgress(view.progress);
  expectIso(view.started_at);
  expectIsoOrNull(view.estimated_completion);
}

/** A finished, successful run's status (`GET /backup/jobs/{job_id}/status`). */
export function expectCompletedJobStatus(status: View): void {
  expectKeys(status, [
    'job_id',
    'status',
    'execution_id',
    'progress',
    'started_at',
    'completed_at',
    'duration',
    'result',
    'verification',
    'error',
    'next_run',
  ]);
  expect(status.error).toBeNull();
  expect(status.status).toBe('completed');
  expect(status.progress).toBe(100);
  expectIso(status.started_at);
  expectIso(status.completed_at);
  expect(typeof status.duration).toBe('number');
  expect(status.duration as number).toBeGreaterThanOrEqual(0);
  // Seconds, not milliseconds: it matches the two times.
  const elapsed =
    (Date.parse(status.completed_at as string) - Date.parse(status.started_at as string)) / 1000;
  expect(Math.abs((status.duration as number) - elapsed)).toBeLessThan(1);
  const result = status.result as View;
  expectKeys(result, [
    'backup_id',
    'file_path',
    'file_size',
    'compression_ratio',
    'encryption',
    'checksum',
    'created_at',
  ]);
  expect(result.backup_id).toEqual(expect.stringMatching(/^backup_/));
  expect(typeof result.file_path).toBe('string');
  expect(Number.isInteger(result.file_size)).toBe(true);
  expect(result.file_size as number).toBeGreaterThan(0);
  expect(typeof result.compression_ratio).toBe('number');
  expect(result.checksum).toEqual(expect.stringMatching(/^sha256:[0-9a-f]{64}$/));
  expectIso(result.created_at);
  const verification = status.verification as View;
  expectKeys(verification, [
    'status',
    'checksum_verified',
    'integrity_verified',
    'test_restore_verified',
    'verified_at',
  ]);
  for (const flag of ['checksum_verified', 'integrity_verified', 'test_restore_verified'])
    expect(typeof verification[flag]).toBe('boolean');
  expectIsoOrNull(verification.verified_at);
  expectIsoOrNull(status.next_run);
}

export function expectBackupFile(file: View): void {
  expectKeys(file, [
    'backup_id',
    'job_id',
    'job_name',
    'backup_type',
    'file_path',
    'file_size',
    'compression_ratio',
    'encryption',
    'checksum',
    'status',
    'created_at',
    'verified_at',
    'retention_until',
  ]);
  expect(file.backup_id).toEqual(expect.stringMatching(/^backup_/));
  expect(file.job_id).toEqual(expect.stringMatching(/^job_/));
  expect(Number.isInteger(file.file_size)).toBe(true);
  expect(file.checksum).toEqual(expect.stringMatching(/^sha256:[0-9a-f]{64}$/));
  expectIso(file.created_at);
  expectIsoOrNull(file.verified_at);
  expectIsoOrNull(file.retention_until);
}

/** A finished, successful restore's status (`GET /backup/restores/{restore_id}/status`). */
export function expectCompletedRestoreStatus(done: View): void {
  expectKeys(done, [
    'restore_id',
    'status',
    'progress',
    'started_at',
    'completed_at',
    'duration',
    'result',
    'verification',
    'error',
  ]);
  expect(done.error).toBeNull();
  expect(done).toMatchObject({ status: 'completed', progress: 100 });
  expectIso(done.started_at);
  expectIso(done.completed_at);
  expect(typeof done.duration).toBe('number');
  const result = done.result as View;
  expectKeys(result, ['tables_restored', 'records_restored', 'data_size', 'restored_at']);
  for (const count of ['tables_restored', 'records_restored', 'data_size'])
    expect(Number.isInteger(result[count]), count).toBe(true);
  expectIso(result.restored_at);
  expectKeys(done.verification, [
    'status',
    'data_integrity_verified',
    'constraints_verified',
    'indexes_verified',
    'verified_at',
  ]);
}

export function expectVerificationView(view: View): void {
  expectKeys(view, [
    'verification_id',
    'backup_id',
    'verification_type',
    'status',
    'progress',
    'started_at',
    'estimated_completion',
    'checksum_verification',
    'integrity_check',
    'test_restore',
    'test_restore_options',
  ]);
  expect(view.verification_id).toEqual(expect.stringMatching(/^verify_/));
  expectProgress(view.progress);
  expectIso(view.started_at);
  expectIsoOrNull(view.estimated_completion);
}

export function expectAnalytics(analytics: View): void {
  expectKeys(analytics, [
    'overview',
    'job_breakdown',
    'backup_types',
    'storage_breakdown',
    'time_series',
    'generated_at',
  ]);
  const overview = analytics.overview as View;
  expectKeys(overview, [
    'total_jobs',
    'active_jobs',
    'total_backups',
    'successful_backups',
    'failed_backups',
    'total_restores',
    'successful_restores',
    'failed_restores',
    'total_storage_used',
    'average_backup_size',
  ]);
  for (const value of Object.values(overview)) expect(typeof value).toBe('number');
  for (const row of analytics.job_breakdown as View[])
    expectKeys(row, ['job_id', 'job_name', 'backups', 'success_rate', 'average_size', 'average_duration']);
  for (const row of analytics.backup_types as View[])
    expectKeys(row, ['type', 'count', 'success_rate', 'average_size', 'average_duration']);
  for (const row of analytics.storage_breakdown as View[]) {
    expectKeys(row, ['destination', 'total_size', 'backup_count', 'average_size', 'cost_per_month']);
    expect(typeof row.cost_per_month).toBe('number');
  }
  for (const row of analytics.time_series as View[]) {
    expectKeys(row, ['date', 'backups_created', 'successful_backups', 'failed_backups', 'storage_used']);
    expect(row.date).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));
  }
  expectIso(analytics.generated_at);
}
