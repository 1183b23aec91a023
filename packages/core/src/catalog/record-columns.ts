import { BackupError } from '../errors.js';

/**
 * How each record field is stored. One table of facts shared by the three catalogs, so the
 * memory catalog normalises exactly like the SQL ones and the SQL ones share row<->record code.
 */
export type ColumnKind = 'text' | 'int' | 'float' | 'bool' | 'json' | 'time';

export interface RecordSpec {
  /** Logical table name (PostgreSQL and SQLite use the same names). */
  table: string;
  /** The record's text identifier (unique). */
  key: string;
  columns: Readonly<Record<string, ColumnKind>>;
}

export const JOBS: RecordSpec = {
  table: 'backup_jobs',
  key: 'job_id',
  columns: {
    job_id: 'text',
    job_name: 'text',
    description: 'text',
    backup_type: 'text',
    source: 'json',
    destination: 'json',
    schedule: 'json',
    retention: 'json',
    compression: 'json',
    encryption: 'json',
    verification: 'json',
    notifications: 'json',
    status: 'text',
    created_at: 'time',
    created_by: 'text',
    updated_at: 'time',
    last_run: 'time',
    next_run: 'time',
  },
};

export const SCHEDULES: RecordSpec = {
  table: 'backup_schedules',
  key: 'job_id',
  columns: {
    job_id: 'text',
    frequency: 'text',
    day_of_month: 'int',
    day_of_week: 'int',
    time: 'text',
    timezone: 'text',
    enabled: 'bool',
    last_executed: 'time',
    next_execution: 'time',
    created_at: 'time',
    updated_at: 'time',
  },
};

export const EXECUTIONS: RecordSpec = {
  table: 'backup_executions',
  key: 'execution_id',
  columns: {
    execution_id: 'text',
    job_id: 'text',
    status: 'text',
    progress: 'float',
    bytes_done: 'int',
    bytes_total: 'int',
    execution_options: 'json',
    custom_parameters: 'json',
    executed_by: 'text',
    trigger: 'text',
    scheduled_for: 'time',
    priority: 'int',
    owner: 'text',
    lease_expires_at: 'time',
    created_at: 'time',
    started_at: 'time',
    completed_at: 'time',
    estimated_completion: 'time',
    backup_id: 'text',
    error: 'json',
  },
};

export const BACKUPS: RecordSpec = {
  table: 'backup_files',
  key: 'backup_id',
  columns: {
    backup_id: 'text',
    job_id: 'text',
    job_name: 'text',
    execution_id: 'text',
    backup_type: 'text',
    status: 'text',
    file_path: 'text',
    destination_type: 'text',
    storage_class: 'text',
    file_size: 'int',
    logical_size: 'int',
    new_bytes: 'int',
    compression_ratio: 'float',
    encryption: 'text',
    checksum: 'text',
    parent_backup_id: 'text',
    started_at: 'time',
    created_at: 'time',
    duration: 'float',
    verified_at: 'time',
    verification_status: 'text',
    retention_until: 'time',
    destination: 'json',
    metadata: 'json',
  },
};

export const RESTORES: RecordSpec = {
  table: 'backup_restores',
  key: 'restore_id',
  columns: {
    restore_id: 'text',
    backup_id: 'text',
    restore_name: 'text',
    description: 'text',
    source: 'json',
    destination: 'json',
    restore_options: 'json',
    notifications: 'json',
    status: 'text',
    progress: 'float',
    created_at: 'time',
    created_by: 'text',
    started_at: 'time',
    completed_at: 'time',
    estimated_completion: 'time',
    result: 'json',
    verification: 'json',
    error: 'json',
  },
};

export const VERIFICATIONS: RecordSpec = {
  table: 'backup_verifications',
  key: 'verification_id',
  columns: {
    verification_id: 'text',
    backup_id: 'text',
    verification_type: 'text',
    status: 'text',
    progress: 'float',
    created_at: 'time',
    started_at: 'time',
    completed_at: 'time',
    estimated_completion: 'time',
    checksum_verification: 'bool',
    integrity_check: 'bool',
    test_restore: 'bool',
    test_restore_options: 'json',
    result: 'json',
    error: 'text',
    requested_by: 'text',
  },
};

export const AUDIT: RecordSpec = {
  table: 'backup_audit_log',
  key: 'audit_id',
  columns: {
    audit_id: 'text',
    at: 'time',
    principal: 'text',
    action: 'text',
    target_type: 'text',
    target_id: 'text',
    outcome: 'text',
    details: 'json',
  },
};

/**
 * Canonical form of a timestamp: `Date#toISOString()` (UTC, milliseconds, `Z`). Every catalog
 * returns timestamps in this form, and SQLite/memory compare them as strings, which is only
 * correct because they are all canonical.
 * @throws BackupError('validation_failed') when `value` is not a parseable time.
 */
export function canonicalTime(value: string, field = 'timestamp'): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new BackupError('validation_failed', `${field} is not a valid ISO-8601 time`, {
      details: { field },
    });
  }
  return new Date(ms).toISOString();
}

/** Copies `record` keeping only `spec`'s columns, with timestamps canonical and JSON deep-copied. */
export function normalizeRecord<R>(spec: RecordSpec, record: object): R {
  const source = record as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [column, kind] of Object.entries(spec.columns)) {
    const value = source[column];
    if (value === undefined || value === null) {
      out[column] = null;
    } else if (kind === 'time') {
      out[column] = canonicalTime(String(value), column);
    } else if (kind === 'json') {
      out[column] = structuredClone(value);
    } else {
      out[column] = value;
    }
  }
  return out as R;
}

/** The patch's entries that name a record field other than the identifier (undefined skipped). */
export function patchEntries(spec: RecordSpec, patch: object): Array<[string, unknown]> {
  return Object.entries(patch).filter(
    ([column, value]) => value !== undefined && column !== spec.key && column in spec.columns,
  );
}
