import type { BackupRecord, RestoreRecord, VerificationRecord } from '../catalog/records.js';
import type { ServiceContext } from '../service/service-context.js';
import { TraceSpan } from './trace-span.js';

// The spans of restores and verifications. Attributes name ids and types only: configs hold
// credentials, messages may quote a source.

export function restoreSpan(
  context: Pick<ServiceContext, 'tracing'>,
  restore: RestoreRecord,
  destination: Record<string, unknown>,
): TraceSpan {
  return TraceSpan.start(
    'backupkit.restore',
    {
      'backupkit.restore.id': restore.restore_id,
      'backupkit.backup.id': restore.backup_id,
      'backupkit.destination.type': String(destination.type ?? ''),
    },
    context.tracing !== false,
  );
}

/** A verification's span: under `parent` when an execution runs it, else a root of its own. */
export function verificationSpan(
  context: Pick<ServiceContext, 'tracing'>,
  backup: BackupRecord,
  verification: VerificationRecord,
  parent: TraceSpan | undefined,
): TraceSpan {
  const attributes = {
    'backupkit.verification.id': verification.verification_id,
    'backupkit.verification.type': verification.verification_type,
    'backupkit.backup.id': backup.backup_id,
    'backupkit.job.id': backup.job_id,
  };
  return parent
    ? parent.child('backupkit.verification', attributes)
    : TraceSpan.start('backupkit.verification', attributes, context.tracing !== false);
}
