import type { PostgresMigration } from './index.js';

/** The catalog's tables: jobs, schedules, executions, backups, restores, verifications, audit, rate limits. */
export const initial: PostgresMigration = {
  version: 1,
  name: 'initial',
  up: (s) => `
-- Identifiers (job_id, backup_id...) are text; each table also has a uuid primary key.
-- created_by/executed_by are text, not uuid: principals are free-text ids such as
-- admin_123456789. No foreign keys: backups can outlive (or be imported without) their job's row.
CREATE TABLE ${s}backup_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id text NOT NULL UNIQUE,
  job_name text NOT NULL,
  description text,
  backup_type text NOT NULL,
  source jsonb NOT NULL,
  destination jsonb NOT NULL,
  schedule jsonb,
  retention jsonb,
  compression jsonb NOT NULL,
  encryption jsonb NOT NULL,
  verification jsonb NOT NULL,
  notifications jsonb,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text,
  updated_at timestamptz NOT NULL,
  last_run timestamptz,
  next_run timestamptz
);
CREATE INDEX backup_jobs_status_created ON ${s}backup_jobs (status, created_at);

CREATE TABLE ${s}backup_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id text NOT NULL UNIQUE,
  frequency text NOT NULL,
  day_of_month integer,
  day_of_week integer,
  "time" text,
  timezone text NOT NULL,
  enabled boolean NOT NULL,
  last_executed timestamptz,
  next_execution timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX backup_schedules_due ON ${s}backup_schedules (next_execution) WHERE enabled;

CREATE TABLE ${s}backup_executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  execution_id text NOT NULL UNIQUE,
  job_id text NOT NULL,
  status text NOT NULL,
  progress double precision NOT NULL,
  bytes_done bigint NOT NULL,
  bytes_total bigint NOT NULL,
  execution_options jsonb NOT NULL,
  custom_parameters jsonb NOT NULL,
  executed_by text,
  "trigger" text NOT NULL,
  scheduled_for timestamptz,
  priority integer NOT NULL,
  owner text,
  lease_expires_at timestamptz,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  completed_at timestamptz,
  estimated_completion timestamptz,
  backup_id text,
  error jsonb
);
-- At most one queued/running execution per job, enforced by the index itself so that
-- concurrent inserts from several instances cannot both succeed.
CREATE UNIQUE INDEX backup_executions_one_active ON ${s}backup_executions (job_id) WHERE status IN ('queued', 'running');
-- A scheduled occurrence runs once.
CREATE UNIQUE INDEX backup_executions_occurrence ON ${s}backup_executions (job_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX backup_executions_job_created ON ${s}backup_executions (job_id, created_at);
CREATE INDEX backup_executions_queue ON ${s}backup_executions (priority DESC, created_at) WHERE status = 'queued';
CREATE INDEX backup_executions_leases ON ${s}backup_executions (lease_expires_at) WHERE status = 'running';
CREATE INDEX backup_executions_status_created ON ${s}backup_executions (status, created_at);

CREATE TABLE ${s}backup_files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  backup_id text NOT NULL UNIQUE,
  job_id text NOT NULL,
  job_name text NOT NULL,
  execution_id text,
  backup_type text NOT NULL,
  status text NOT NULL,
  file_path text NOT NULL,
  destination_type text NOT NULL,
  storage_class text,
  file_size bigint NOT NULL,
  logical_size bigint NOT NULL,
  new_bytes bigint NOT NULL,
  compression_ratio double precision NOT NULL,
  encryption text,
  checksum text NOT NULL,
  parent_backup_id text,
  started_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  duration double precision NOT NULL,
  verified_at timestamptz,
  verification_status text,
  retention_until timestamptz,
  destination jsonb NOT NULL,
  metadata jsonb NOT NULL
);
CREATE INDEX backup_files_created ON ${s}backup_files (created_at);
CREATE INDEX backup_files_job_created ON ${s}backup_files (job_id, created_at);

CREATE TABLE ${s}backup_restores (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  restore_id text NOT NULL UNIQUE,
  backup_id text NOT NULL,
  restore_name text NOT NULL,
  description text,
  source jsonb,
  destination jsonb NOT NULL,
  restore_options jsonb NOT NULL,
  notifications jsonb,
  status text NOT NULL,
  progress double precision NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text,
  started_at timestamptz,
  completed_at timestamptz,
  result jsonb,
  verification jsonb,
  error jsonb
);
CREATE INDEX backup_restores_created ON ${s}backup_restores (created_at);

CREATE TABLE ${s}backup_verifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  verification_id text NOT NULL UNIQUE,
  backup_id text NOT NULL,
  verification_type text NOT NULL,
  status text NOT NULL,
  progress double precision NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  completed_at timestamptz,
  estimated_completion timestamptz,
  checksum_verification boolean NOT NULL,
  integrity_check boolean NOT NULL,
  test_restore boolean NOT NULL,
  test_restore_options jsonb,
  result jsonb,
  error text,
  requested_by text
);
CREATE INDEX backup_verifications_backup ON ${s}backup_verifications (backup_id, created_at);

CREATE TABLE ${s}backup_audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  audit_id text NOT NULL UNIQUE,
  at timestamptz NOT NULL,
  principal text,
  action text NOT NULL,
  target_type text,
  target_id text,
  outcome text NOT NULL,
  details jsonb NOT NULL
);
CREATE INDEX backup_audit_log_at ON ${s}backup_audit_log (at);

CREATE TABLE ${s}backup_rate_limits (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
`,
};
