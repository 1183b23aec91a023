import type { BackupRecord, VerificationRecord } from '../catalog/records.js';
import { BackupError, type BackupErrorCode, toBackupError } from '../errors.js';
import { Repository } from '../repository/repository.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import { nextReadDataBucket, parseVerificationType, readDataOf } from '../verification/read-data-subset.js';
import type { TestRestoreOptions, VerificationResult } from '../verification/types.js';
import { verifyBackupData } from '../verification/verify-backup.js';
import { scrubMessage, secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { verificationView } from './views.js';

export interface VerifyRequest {
  verification_type: string;
  checksum_verification: boolean;
  integrity_check: boolean;
  test_restore: boolean;
  test_restore_options?: Record<string, unknown> | null;
  requested_by: string | null;
  /** An already open repository (verification right after a backup). */
  repository?: Repository;
  signal?: AbortSignal;
  /** An existing `queued` record to run (verifyBackup inserts it first). */
  verificationId?: string;
}

/**
 * The bucket a `NN%` verification of this backup reads next. The rotation is kept on backup rows:
 * this backup's last subset, else the job's newest other backup's (so per-run verifications of
 * successive backups rotate too, and repeated runs cover every chunk).
 */
async function readDataBucket(
  context: ServiceContext,
  backup: BackupRecord,
  type: string,
): Promise<number | undefined> {
  let percent: number;
  try {
    const mode = parseVerificationType(type);
    if (mode.kind !== 'subset') return undefined;
    percent = mode.percent;
  } catch {
    return undefined; // verifyBackupData reports the bad type
  }
  let previous = readDataOf(backup.metadata);
  if (!previous) {
    const page = await context.catalog.listBackups({ job_id: backup.job_id, limit: 2, offset: 0 });
    const other = page.items.find((b) => b.backup_id !== backup.backup_id);
    previous = other ? readDataOf(other.metadata) : null;
  }
  return nextReadDataBucket(percent, previous);
}

/**
 * Verifies a stored backup with `verifyBackupData` (see verification/) and records progress,
 * the structured result (damaged objects named, test-restore report) and the outcome
 * (`passed`, `failed` or `error`) on the verification record and on the backup row. Never throws.
 */
export async function verifyStoredBackup(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
): Promise<VerificationRecord> {
  const { catalog } = context;
  const verificationId = request.verificationId ?? newId('verify');
  const startedAt = nowIso(context);
  if (request.verificationId) {
    await catalog.updateVerification(verificationId, { status: 'running', started_at: startedAt });
  } else {
    await catalog.insertVerification({
      verification_id: verificationId,
      backup_id: backup.backup_id,
      verification_type: request.verification_type,
      status: 'running',
      progress: 0,
      created_at: startedAt,
      started_at: startedAt,
      completed_at: null,
      estimated_completion: null,
      checksum_verification: request.checksum_verification,
      integrity_check: request.integrity_check,
      test_restore: request.test_restore,
      test_restore_options: request.test_restore_options ?? null,
      result: null,
      error: null,
      requested_by: request.requested_by,
    });
  }
  const running = (await catalog.getVerification(verificationId))!;
  context.events.emit('verification.started', {
    id: verificationId,
    job_id: backup.job_id,
    status: verificationView(running),
  });

  const signal = request.signal;
  let outcome: VerificationResult | null = null;
  let failure: BackupError | null = null;
  let secrets: string[] = [];
  let opened: Repository | undefined;
  // Progress writes are throttled and chained, so the final update always lands last.
  let writes: Promise<unknown> = Promise.resolve();
  let lastWrite = 0;
  const startMs = context.clock.now().getTime();
  try {
    const job = await catalog.getJob(backup.job_id);
    const sourceConfig = job ? unsealConfig(job.source, context.sealer) : null;
    const destination = unsealConfig(backup.destination, context.sealer) as DestinationConfig;
    secrets = [...secretValues(sourceConfig ?? {}), ...secretValues(destination)];
    let repository = request.repository;
    if (!repository) {
      const driver = await context.storage.open(destination);
      opened = await Repository.open(driver, { keyProvider: context.keys, create: false, signal });
      repository = opened;
    }
    outcome = await verifyBackupData({
      repository,
      backupId: backup.backup_id,
      expectedChecksum: backup.checksum,
      options: {
        verification_type: request.verification_type,
        checksum_verification: request.checksum_verification,
        integrity_check: request.integrity_check,
        test_restore: request.test_restore,
        test_restore_options: (request.test_restore_options ?? null) as TestRestoreOptions | null,
      },
      readDataBucket: await readDataBucket(context, backup, request.verification_type),
      sourceConfig,
      signal,
      now: () => context.clock.now(),
      onProgress: (p) => {
        const at = context.clock.now().getTime();
        if (p.phase === 'done' || at - lastWrite < context.progressIntervalMs) return;
        lastWrite = at;
        const elapsed = at - startMs;
        const estimated =
          p.progress > 0 ? new Date(startMs + (elapsed * 100) / p.progress).toISOString() : null;
        writes = writes
          .then(() =>
            catalog.updateVerification(verificationId, {
              progress: p.progress,
              ...(estimated ? { estimated_completion: estimated } : {}),
            }),
          )
          .catch(() => {});
        context.events.emit('verification.progress', {
          id: verificationId,
          job_id: backup.job_id,
          progress: p.progress,
          bytes_done: p.units_done,
          bytes_total: p.units_total,
          estimated_completion: estimated,
        });
      },
    });
  } catch (thrown) {
    failure = toBackupError(thrown);
  } finally {
    await opened?.driver.close?.().catch(() => {});
  }
  await writes;
  const completedAt = nowIso(context);
  const status: VerificationRecord['status'] = outcome?.status ?? 'error';
  const error = outcome?.error ?? (failure ? { code: failure.code, message: failure.message } : null);
  const record = await catalog.updateVerification(verificationId, {
    status,
    progress: 100,
    completed_at: completedAt,
    estimated_completion: completedAt,
    result: outcome
      ? (JSON.parse(scrubMessage(JSON.stringify(outcome), secrets)) as Record<string, unknown>)
      : { checksum_verified: false, integrity_verified: false, test_restore_verified: false },
    error: error ? scrubMessage(`${error.code}: ${error.message}`, secrets) : null,
  });
  await catalog
    .updateBackup(backup.backup_id, {
      verified_at: completedAt,
      verification_status: status,
      ...(outcome?.read_data ? { metadata: { ...backup.metadata, read_data: outcome.read_data } } : {}),
    })
    .catch(() => {});
  const view = verificationView(record);
  if (status === 'passed') {
    context.events.emit('verification.completed', {
      id: verificationId,
      job_id: backup.job_id,
      status: view,
    });
  } else {
    const reported =
      failure ??
      new BackupError(
        (error?.code ?? 'integrity_error') as BackupErrorCode,
        record.error ?? 'Verification failed',
        {
          details: { verification_id: verificationId, backup_id: backup.backup_id },
        },
      );
    context.events.emit('verification.failed', {
      id: verificationId,
      job_id: backup.job_id,
      status: view,
      error: reported,
    });
  }
  return record;
}
