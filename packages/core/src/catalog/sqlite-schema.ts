/**
 * SQLite DDL of the catalog: the same logical tables as PostgreSQL (see migrations/), with JSON
 * stored as text, booleans as 0/1 and timestamps as canonical ISO-8601 text (so they compare as
 * strings). Versions are tracked in `PRAGMA user_version`; append new versions, never edit one.
 */
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE backup_jobs (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  job_id TEXT NOT NULL UNIQUE,
  job_name TEXT NOT NULL,
  description TEXT,
  backup_type TEXT NOT NULL,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  schedule TEXT,
  retention TEXT,
  compression TEXT NOT NULL,
  encryption TEXT NOT NULL,
  verification TEXT NOT NULL,
  notifications TEXT,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  updated_at TEXT NOT NULL,
  last_run TEXT,
  next_run TEXT
);
CREATE INDEX backup_jobs_status_created ON backup_jobs (status, created_at);

CREATE TABLE backup_schedules (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  job_id TEXT NOT NULL UNIQUE,
  frequency TEXT NOT NULL,
  day_of_month INTEGER,
  day_of_week INTEGER,
  "time" TEXT,
  timezone TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  last_executed TEXT,
  next_execution TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX backup_schedules_due ON backup_schedules (next_execution) WHERE enabled = 1;

CREATE TABLE backup_executions (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  execution_id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL,
  status TEXT NOT NULL,
  progress REAL NOT NULL,
  bytes_done INTEGER NOT NULL,
  bytes_total INTEGER NOT NULL,
  execution_options TEXT NOT NULL,
  custom_parameters TEXT NOT NULL,
  executed_by TEXT,
  "trigger" TEXT NOT NULL,
  scheduled_for TEXT,
  priority INTEGER NOT NULL,
  owner TEXT,
  lease_expires_at TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  estimated_completion TEXT,
  backup_id TEXT,
  error TEXT
);
-- At most one queued/running execution per job: what makes insertExecution atomic.
CREATE UNIQUE INDEX backup_executions_one_active ON backup_executions (job_id) WHERE status IN ('queued', 'running');
CREATE UNIQUE INDEX backup_executions_occurrence ON backup_executions (job_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX backup_executions_job_created ON backup_executions (job_id, created_at);
CREATE INDEX backup_executions_queue ON backup_executions (priority DESC, created_at) WHERE status = 'queued';
CREATE INDEX backup_executions_leases ON backup_executions (lease_expires_at) WHERE status = 'running';
CREATE INDEX backup_executions_status_created ON backup_executions (status, created_at);

CREATE TABLE backup_files (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  backup_id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL,
  job_name TEXT NOT NULL,
  execution_id TEXT,
  backup_type TEXT NOT NULL,
  status TEXT NOT NULL,
  file_path TEXT NOT NULL,
  destination_type TEXT NOT NULL,
  storage_class TEXT,
  file_size INTEGER NOT NULL,
  logical_size INTEGER NOT NULL,
  new_bytes INTEGER NOT NULL,
  compression_ratio REAL NOT NULL,
  encryption TEXT,
  checksum TEXT NOT NULL,
  parent_backup_id TEXT,
  started_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  duration REAL NOT NULL,
  verified_at TEXT,
  verification_status TEXT,
  retention_until TEXT,
  destination TEXT NOT NULL,
  metadata TEXT NOT NULL
);
CREATE INDEX backup_files_created ON backup_files (created_at);
CREATE INDEX backup_files_job_created ON backup_files (job_id, created_at);

CREATE TABLE backup_restores (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  restore_id TEXT NOT NULL UNIQUE,
  backup_id TEXT NOT NULL,
  restore_name TEXT NOT NULL,
  description TEXT,
  source TEXT,
  destination TEXT NOT NULL,
  restore_options TEXT NOT NULL,
  notifications TEXT,
  status TEXT NOT NULL,
  progress REAL NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  started_at TEXT,
  completed_at TEXT,
  result TEXT,
  verification TEXT,
  error TEXT
);
CREATE INDEX backup_restores_created ON backup_restores (created_at);

CREATE TABLE backup_verifications (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  verification_id TEXT NOT NULL UNIQUE,
  backup_id TEXT NOT NULL,
  verification_type TEXT NOT NULL,
  status TEXT NOT NULL,
  progress REAL NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  estimated_completion TEXT,
  checksum_verification INTEGER NOT NULL,
  integrity_check INTEGER NOT NULL,
  test_restore INTEGER NOT NULL,
  test_restore_options TEXT,
  result TEXT,
  error TEXT,
  requested_by TEXT
);
CREATE INDEX backup_verifications_backup ON backup_verifications (backup_id, created_at);

CREATE TABLE backup_audit_log (
  id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  audit_id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  principal TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX backup_audit_log_at ON backup_audit_log (at);

CREATE TABLE backup_rate_limits (
  "key" TEXT NOT NULL,
  window_start TEXT NOT NULL,
  "count" INTEGER NOT NULL,
  PRIMARY KEY ("key", window_start)
);
`,
  },
  {
    version: 2,
    name: 'jobs_created_by',
    // Principals without `admin` see only the jobs they created (see migrations/002).
    sql: `
CREATE INDEX backup_jobs_created_by ON backup_jobs (created_by, status, created_at);
`,
  },
  {
    version: 3,
    name: 'restore_estimated_completion',
    // Restores report when they should end (see migrations/003).
    sql: `
ALTER TABLE backup_restores ADD COLUMN estimated_completion TEXT;
`,
  },
];
