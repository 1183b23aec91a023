import type { BackupRecord, ErrorInfo, VerificationRecord } from '../catalog/records.js';
import { projectedEnd } from '../engine/progress.js';
import { type BackupError, toBackupError } from '../errors.js';
import { verificationSpan } from '../monitoring/operation-spans.js';
import type { TraceSpan } from '../monitoring/trace-span.js';
import { Repository } from '../repository/repository.js';
import { redactValue } from '../security/redaction.js';
import type { TestRestoreOptions } from '../sources/test-restore.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import { nextReadDataBucket, parseVerificationType, readDataOf } from '../verification/read-data-subset.js';
import type { VerificationProgress, VerificationResult } from '../verification/types.js';
import { verifyBackupData } from '../verification/verify-backup.js';
import { errorInfoOf, errorOfInfo, scrubDetails } from './error-info.js';
import { ProgressReporter, type ProgressUpdate } from './progress-reporter.js';
import { secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { verificationView } from './views.js';
import { WriteChain } from './write-chain.js';

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
  /** Gets each progress update too (an execution folds its verification into its own progress). */
  onProgress?: (update: ProgressUpdate) => void;
  /** The span the verification's span nests under (an execution's verify phase). */
  traceParent?: TraceSpan;
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

/** Records a verification's progress and ETA, emits them, and hands them to `forward`. */
function verificationProgress(
  context: ServiceContext,
  verificationId: string,
  jobId: string,
  writes: WriteChain,
  forward?: (update: ProgressUpdate) => void,
): (progress: VerificationProgress) => void {
  const startMs = context.clock.now().getTime();
  const reporter = new ProgressReporter({
    intervalMs: context.progressIntervalMs,
    writes,
    write: (update) =>
      context.catalog.updateVerification(verificationId, {
        progress: update.progress,
        ...(update.estimated_completion ? { estimated_completion: update.estimated_completion } : {}),
      }),
    emit: (update) => {
      context.events.emit('verification.progress', { id: verificationId, job_id: jobId, ...update });
      forward?.(update);
    },
  });
  return (p) => {
    if (p.phase === 'done') return;
    const eta = projectedEnd(startMs, context.clock.now().getTime(), p.units_done, p.units_total);
    reporter.report({
      progress: p.progress,
      bytes_done: p.units_done,
      bytes_total: p.units_total,
      estimated_completion: eta?.toISOString() ?? null,
    });
  };
}

/** Marks the verification running (inserting its record when the caller did not). */
async function startVerification(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
  verificationId: string,
): Promise<VerificationRecord> {
  const { catalog } = context;
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
  return (await catalog.getVerification(verificationId))!;
}

/** What a verification stores as its outcome: the result (secret-free) and its error. */
function verificationOutcome(
  outcome: VerificationResult | null,
  failure: BackupError | null,
  secrets: readonly string[],
): { status: VerificationRecord['status']; result: Record<string, unknown>; error: ErrorInfo | null } {
  if (outcome) {
    const result = redactValue(outcome, secrets, { minSecretLength: 4 }) as VerificationResult;
    const error = result.error
      ? { ...result.error, details: scrubDetails(result.error.details, secrets) }
      : null;
    return { status: outcome.status, result: { ...result, error }, error };
  }
  const error = failure ? errorInfoOf(failure, secrets) : null;
  return {
    status: 'error',
    result: { checksum_verified: false, integrity_verified: false, test_restore_verified: false, error },
    error,
  };
}

/** What running a verification's checks came to: their result, or what stopped them. */
interface VerificationAttempt {
  outcome: VerificationResult | null;
  failure: BackupError | null;
  /** The source's and storage's secrets, scrubbed from what is stored. */
  secrets: string[];
}

/**
 * Verifies a stored backup with `verifyBackupData` (see verification/) and records progress,
 * the structured result (damaged objects named, test-restore report) and the outcome
 * (`passed`, `failed` or `error`) on the verification record and on the backup row. What went
 * wrong is stored as `{ code, message, details }` in `result.error` (the `error` column keeps
 * its `code: message` text). Never throws.
 */
export async function verifyStoredBackup(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
): Promise<VerificationRecord> {
  const verificationId = request.verificationId ?? newId('verify');
  const running = await startVerification(context, backup, request, verificationId);
  const span = verificationSpan(context, backup, running, request.traceParent);
  context.events.emit('verification.started', {
    id: verificationId,
    job_id: backup.job_id,
    status: verificationView(running),
  });
  // Progress writes are throttled and chained, so the final update always lands last.
  const writes = new WriteChain();
  const attempt = await attemptVerification(context, backup, request, verificationId, writes);
  const { record, status, error } = await recordOutcome(context, backup, verificationId, attempt, writes);
  span.setAttributes({ 'backupkit.verification.status': status });
  if (status !== 'passed') span.failWith(error?.code ?? status);
  span.end();
  emitOutcome(context, backup, record, status, error);
  return record;
}

/** Opens the backup's repository (unless the request brings one) and runs the checks; never throws. */
async function attemptVerification(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
  verificationId: string,
  writes: WriteChain,
): Promise<VerificationAttempt> {
  const attempt: VerificationAttempt = { outcome: null, failure: null, secrets: [] };
  let opened: Repository | undefined;
  try {
    const job = await context.catalog.getJob(backup.job_id);
    const sourceConfig = job ? unsealConfig(job.source, context.sealer) : null;
    const destination = unsealConfig(backup.destination, context.sealer) as DestinationConfig;
    attempt.secrets = [...secretValues(sourceConfig ?? {}), ...secretValues(destination)];
    if (request.test_restore && sourceConfig) await checkTestRestoreAccess(context, sourceConfig);
    let repository = request.repository;
    if (!repository) {
      const driver = await context.storage.open(destination);
      opened = await Repository.open(driver, {
        keyProvider: context.keys,
        create: false,
        signal: request.signal,
      });
      repository = opened;
    }
    const progress = verificationProgress(context, verificationId, backup.job_id, writes, request.onProgress);
    attempt.outcome = await checkBackup(context, backup, request, { repository, sourceConfig, progress });
  } catch (thrown) {
    attempt.failure = toBackupError(thrown);
  } finally {
    await opened?.driver.close?.().catch(() => {});
  }
  return attempt;
}

/**
 * A test restore connects to the source's server: the host's database policy applies.
 * @throws BackupError `forbidden` when the policy refuses it, `invalid_backup_config` for an unknown type.
 */
async function checkTestRestoreAccess(
  context: ServiceContext,
  sourceConfig: Record<string, unknown>,
): Promise<void> {
  const kind = context.sources.get(String(sourceConfig.type), 'source.type');
  await context.access.checkConfig(kind, sourceConfig, 'backup', 'source', { only: 'database' });
}

/** The checks themselves (`verifyBackupData`), as the request asks for them. */
async function checkBackup(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
  run: {
    repository: Repository;
    sourceConfig: Record<string, unknown> | null;
    progress: (progress: VerificationProgress) => void;
  },
): Promise<VerificationResult> {
  return verifyBackupData({
    repository: run.repository,
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
    sourceConfig: run.sourceConfig,
    sourceKinds: context.sources.kinds(),
    signal: request.signal,
    now: () => context.clock.now(),
    onProgress: run.progress,
  });
}

/** Stores the outcome on the verification record and on the backup row. */
async function recordOutcome(
  context: ServiceContext,
  backup: BackupRecord,
  verificationId: string,
  attempt: VerificationAttempt,
  writes: WriteChain,
): Promise<{ record: VerificationRecord; status: VerificationRecord['status']; error: ErrorInfo | null }> {
  const { catalog } = context;
  const completedAt = nowIso(context);
  const { status, result, error } = verificationOutcome(attempt.outcome, attempt.failure, attempt.secrets);
  const record = await writes.run(() =>
    catalog.updateVerification(verificationId, {
      status,
      progress: 100,
      completed_at: completedAt,
      estimated_completion: completedAt,
      result,
      error: error ? `${error.code}: ${error.message}` : null,
    }),
  );
  const readData = attempt.outcome?.read_data;
  await catalog
    .updateBackup(backup.backup_id, {
      verified_at: completedAt,
      verification_status: status,
      ...(readData ? { metadata: { ...backup.metadata, read_data: readData } } : {}),
    })
    .catch(() => {});
  return { record, status, error };
}

/** Emits `verification.completed` when it passed, `verification.failed` otherwise. */
function emitOutcome(
  context: ServiceContext,
  backup: BackupRecord,
  record: VerificationRecord,
  status: VerificationRecord['status'],
  error: ErrorInfo | null,
): void {
  const id = record.verification_id;
  const view = verificationView(record);
  if (status === 'passed') {
    context.events.emit('verification.completed', { id, job_id: backup.job_id, status: view });
    return;
  }
  const reported = errorOfInfo(
    error ?? { code: 'integrity_error', message: 'Verification failed', details: {} },
  );
  context.events.emit('verification.failed', { id, job_id: backup.job_id, status: view, error: reported });
}
