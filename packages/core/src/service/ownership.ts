import type {
  BackupRecord,
  ExecutionRecord,
  JobRecord,
  RestoreRecord,
  VerificationRecord,
} from '../catalog/records.js';
import { BackupError } from '../errors.js';
import type { CallContext } from './backup-service.js';
import type { ServiceContext } from './service-context.js';

/** The role that sees and acts on every principal's objects. */
export const ADMIN_ROLE = 'admin';

/**
 * What one call may see: everything (the host's own code, which passes no roles, and admins);
 * only what hangs from the jobs `owner` created; or nothing (roles but no principal).
 */
export type Scope = { kind: 'all' } | { kind: 'owner'; owner: string } | { kind: 'none' };

const ALL: Scope = { kind: 'all' };
const NONE: Scope = { kind: 'none' };

/** The scope of a call (see `CallContext.roles`). */
export function scopeOf(call: CallContext | undefined): Scope {
  if (!call?.roles || call.roles.includes(ADMIN_ROLE)) return ALL;
  const principal = call.principal;
  return typeof principal === 'string' && principal !== '' ? { kind: 'owner', owner: principal } : NONE;
}

/**
 * The principal recorded as a new object's creator: a scoped call's own identity (never a body
 * field), else the principal or, for the host's own calls, what the body says.
 */
export function creatorOf(
  call: CallContext | undefined,
  requested: string | null | undefined,
): string | null {
  const scope = scopeOf(call);
  if (scope.kind === 'owner') return scope.owner;
  if (scope.kind === 'none') return null;
  return call?.principal ?? requested ?? null;
}

/** Whether `scope` covers a job (a deleted one too: its backups stay its creator's). */
export function ownsJob(scope: Scope, job: Pick<JobRecord, 'created_by'> | null): boolean {
  if (!job) return false;
  if (scope.kind === 'all') return true;
  return scope.kind === 'owner' && job.created_by === scope.owner;
}

async function jobVisible(context: ServiceContext, scope: Scope, jobId: string): Promise<boolean> {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'none') return false;
  return ownsJob(scope, await context.catalog.getJob(jobId));
}

/** Executions and backups belong to their job's creator (a backup whose job has no row, to nobody). */
export function recordVisible(
  context: ServiceContext,
  scope: Scope,
  record: Pick<ExecutionRecord | BackupRecord, 'job_id'>,
): Promise<boolean> {
  return jobVisible(context, scope, record.job_id);
}

async function backupIdVisible(context: ServiceContext, scope: Scope, backupId: string): Promise<boolean> {
  if (scope.kind === 'all') return true;
  const backup = await context.catalog.getBackup(backupId);
  return backup !== null && (await recordVisible(context, scope, backup));
}

/** A restore is its requester's, and belongs to whoever sees the backup it restores. */
export async function restoreVisible(
  context: ServiceContext,
  scope: Scope,
  restore: RestoreRecord,
): Promise<boolean> {
  if (scope.kind === 'owner' && restore.created_by === scope.owner) return true;
  return backupIdVisible(context, scope, restore.backup_id);
}

/** A verification is its requester's, and belongs to whoever sees the backup it checks. */
export async function verificationVisible(
  context: ServiceContext,
  scope: Scope,
  verification: VerificationRecord,
): Promise<boolean> {
  if (scope.kind === 'owner' && verification.requested_by === scope.owner) return true;
  return backupIdVisible(context, scope, verification.backup_id);
}

/*
 * What a call may not see answers exactly as an unknown id does (same code, message and details),
 * so a response never tells whether someone else's object exists.
 */

export function jobNotFound(jobId: unknown): BackupError {
  return new BackupError('job_not_found', 'Backup job not found', { details: { job_id: jobId } });
}

export function executionNotFound(executionId: unknown): BackupError {
  return new BackupError('execution_not_found', 'Execution not found', {
    details: { execution_id: executionId },
  });
}

export function backupNotFound(backupId: unknown): BackupError {
  return new BackupError('backup_not_found', 'Backup not found', { details: { backup_id: backupId } });
}

export function restoreNotFound(restoreId: unknown): BackupError {
  return new BackupError('restore_not_found', 'Restore not found', { details: { restore_id: restoreId } });
}

export function verificationNotFound(verificationId: unknown): BackupError {
  return new BackupError('verification_not_found', 'Verification not found', {
    details: { verification_id: verificationId },
  });
}
