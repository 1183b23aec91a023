import type { BackupRecord, RestoreRecord } from '../catalog/records.js';
import type { TransferProgress } from '../engine/progress.js';
import { type RestoreResult, runRestore } from '../engine/restore-engine.js';
import { BackupError, toBackupError } from '../errors.js';
import { restoreSpan } from '../monitoring/operation-spans.js';
import { BACKUP_ID } from '../repository/layout.js';
import { Repository } from '../repository/repository.js';
import type { SourceKind } from '../sources/backup-source.js';
import type { RestoreSelection } from '../sources/restore-selection.js';
import { kindFamily, selectRestoreEntries, summarizeRestore } from '../sources/source-kinds.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import type { CallContext, View } from './backup-service.js';
import { errorInfoOf, errorOfInfo } from './error-info.js';
import { notifyRestore } from './notifications.js';
import { backupNotFound, recordVisible, scopeOf } from './ownership.js';
import { ProgressReporter } from './progress-reporter.js';
import { type CreateRestoreParsed, createRestoreSchema } from './schemas/restore.js';
import { sealConfig, secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { recoverFromStorage } from './storage-recovery.js';
import { invalidConfig, parseInput } from './validate.js';
import { restoreStatusView } from './views.js';
import { WriteChain } from './write-chain.js';

/**
 * The completed backup, when `call` may see it: a principal without `admin` sees the backups of
 * the jobs it created, deleted jobs included (no `call`: the host's own code, which sees all).
 * @throws BackupError `backup_not_found` unless the backup exists, completed and is visible.
 */
export async function loadBackup(
  context: ServiceContext,
  backupId: string,
  call?: CallContext,
): Promise<BackupRecord> {
  const scope = scopeOf(call);
  if (scope.kind === 'none') throw backupNotFound(backupId);
  let backup = typeof backupId === 'string' ? await context.catalog.getBackup(backupId) : null;
  if (!backup && typeof backupId === 'string' && BACKUP_ID.test(backupId)) {
    // Unknown to the catalog but maybe committed in storage (a lost or older catalog).
    await recoverFromStorage(context, { backupIds: [backupId] });
    backup = await context.catalog.getBackup(backupId);
  }
  if (backup?.status !== 'completed' || !(await recordVisible(context, scope, backup))) {
    throw backupNotFound(backupId);
  }
  return backup;
}

function sourceTypeOf(backup: BackupRecord): string {
  return String(backup.metadata.source_type ?? '');
}

/**
 * A backup restores only into a destination of its source's family (see `SourceKind.family`).
 * @throws BackupError `invalid_backup_config` naming `destination.type` otherwise.
 */
function checkSameFamily(
  context: ServiceContext,
  backup: BackupRecord,
  destinationType: string,
  kind: SourceKind,
): void {
  const backupSource = sourceTypeOf(backup);
  if (backupSource && context.sources.familyOf(backupSource) !== kindFamily(kind)) {
    throw invalidConfig(
      'destination.type',
      `A ${backupSource} backup cannot be restored to a ${destinationType} destination`,
    );
  }
}

/**
 * Validates a restore request and records it (`queued`).
 * @throws BackupError `validation_failed`, `backup_not_found`, `invalid_backup_config`.
 */
export async function prepareRestore(
  context: ServiceContext,
  input: unknown,
  call: CallContext,
): Promise<{ record: RestoreRecord; parsed: CreateRestoreParsed }> {
  const parsed = parseInput(createRestoreSchema, input);
  const backup = await loadBackup(context, parsed.backup_id, call);
  const kind = context.sources.get(parsed.destination.type, 'destination.type');
  checkSameFamily(context, backup, parsed.destination.type, kind);
  await context.access.checkConfig(kind, parsed.destination, 'restore', 'destination');
  const now = nowIso(context);
  const record: RestoreRecord = {
    restore_id: newId('restore'),
    backup_id: backup.backup_id,
    restore_name: parsed.restore_name ?? `Restore of ${backup.backup_id}`,
    description: parsed.description ?? null,
    source: parsed.source ? sealConfig(parsed.source, context.sealer) : null,
    destination: sealConfig(parsed.destination, context.sealer),
    restore_options: parsed.restore_options,
    notifications: parsed.notifications ?? null,
    status: 'queued',
    progress: 0,
    created_at: now,
    created_by: call.principal ?? parsed.created_by ?? null,
    started_at: null,
    completed_at: null,
    estimated_completion: null,
    result: null,
    verification: null,
    error: null,
  };
  await context.catalog.insertRestore(record);
  return { record, parsed };
}

function restoreWarnings(own: string[], target: unknown): { warnings?: unknown[] } {
  const all = [...own, ...(Array.isArray(target) ? target : [])];
  return all.length > 0 ? { warnings: all } : {};
}

/**
 * The background body of a restore: waits `queued` for one of the instance's restore slots,
 * then runs; records and emits the outcome, never throws.
 */
export async function runRestoreJob(
  context: ServiceContext,
  restoreId: string,
  signal: AbortSignal,
): Promise<void> {
  const slots = context.access.restoreSlots;
  try {
    await slots.acquire(signal);
  } catch {
    await recordCancelledBeforeStart(context, restoreId);
    return;
  }
  try {
    await restoreNow(context, restoreId, signal);
  } finally {
    slots.release();
  }
}

/** A restore cancelled while it waited for a slot. Best effort: the record may be gone. */
async function recordCancelledBeforeStart(context: ServiceContext, restoreId: string): Promise<void> {
  await context.catalog
    .updateRestore(restoreId, {
      status: 'cancelled',
      completed_at: nowIso(context),
      error: {
        code: 'aborted',
        message: 'The restore was cancelled before it started',
        details: { restore_id: restoreId },
      },
    })
    .catch(() => {});
}

/** Records a running restore's progress and ETA, and emits them as `restore.progress`. */
function restoreProgress(context: ServiceContext, restoreId: string, writes: WriteChain) {
  const reporter = new ProgressReporter({
    intervalMs: context.progressIntervalMs,
    writes,
    write: (update) =>
      context.catalog.updateRestore(restoreId, {
        progress: update.progress,
        estimated_completion: update.estimated_completion,
      }),
    emit: (update) => context.events.emit('restore.progress', { id: restoreId, ...update }),
  });
  return (progress: TransferProgress) =>
    reporter.report({
      progress: progress.percent,
      bytes_done: progress.bytesDone,
      bytes_total: progress.bytesEstimated,
      estimated_completion: progress.estimatedCompletionAt?.toISOString() ?? null,
    });
}

/** Runs the restore on an open repository; returns the catalog fields of its success. */
async function restoreFromRepository(
  context: ServiceContext,
  restore: RestoreRecord,
  repository: Repository,
  destination: Record<string, unknown>,
  onProgress: (progress: TransferProgress) => void,
  signal: AbortSignal,
): Promise<Partial<RestoreRecord>> {
  const manifest = await repository.readManifest(restore.backup_id, { signal });
  const kind = context.sources.get(String(destination.type), 'destination.type');
  const selection = selectRestoreEntries(kind, manifest, destination);
  // Checked again at run time: a symlink swapped in or a policy tightened since counts.
  const confined = await context.access.checkConfig(kind, selection.config, 'restore', 'destination');
  const target = kind.createRestoreTarget(
    confined,
    restore.restore_options,
    await context.access.environment(),
  );
  const result = await runRestore({
    repository,
    manifest,
    target,
    entries: selection.entries,
    options: { ...restore.restore_options, ...selection.config },
    verifyFirst: restore.restore_options.verify_before_restore === true,
    signal,
    onProgress,
    progressIntervalMs: Math.min(200, context.progressIntervalMs),
  });
  return completedRestore(context, kind, restore, selection, result);
}

/** The catalog fields of a restore that ran through: its kind's summary and the engine's totals. */
function completedRestore(
  context: ServiceContext,
  kind: SourceKind,
  restore: RestoreRecord,
  selection: RestoreSelection,
  result: RestoreResult,
): Partial<RestoreRecord> {
  const restoredAt = nowIso(context);
  const summary = summarizeRestore(kind, {
    entries: selection.entries,
    details: result.details,
    verifyRequested: restore.restore_options.verify_after_restore === true,
    restoredAt,
  });
  return {
    status: 'completed',
    progress: 100,
    completed_at: restoredAt,
    estimated_completion: null,
    result: {
      ...summary.counts,
      entries_restored: result.entries.length,
      records_restored: result.records,
      data_size: result.bytes,
      restored_at: restoredAt,
      ...restoreWarnings(selection.warnings, result.details.warnings),
    },
    verification: { ...summary.verification },
  };
}

/** Opens the backup's storage and restores from it; returns the catalog fields of its success. */
async function restoreFromBackup(
  context: ServiceContext,
  restore: RestoreRecord,
  destination: Record<string, unknown>,
  run: { secrets: string[]; writes: WriteChain; signal: AbortSignal },
): Promise<Partial<RestoreRecord>> {
  const backup = await loadBackup(context, restore.backup_id);
  const storage = unsealConfig(backup.destination, context.sealer) as DestinationConfig;
  // Storage errors may quote the backup's storage credentials: scrubbed as well.
  run.secrets.push(...secretValues(storage));
  const driver = await context.storage.open(storage);
  try {
    const { signal } = run;
    const repository = await Repository.open(driver, { keyProvider: context.keys, create: false, signal });
    const onProgress = restoreProgress(context, restore.restore_id, run.writes);
    return await restoreFromRepository(context, restore, repository, destination, onProgress, signal);
  } finally {
    await driver.close?.().catch(() => {});
  }
}

/** Runs a restore the caller holds a slot for; records and emits the outcome, never throws. */
async function restoreNow(context: ServiceContext, restoreId: string, signal: AbortSignal): Promise<void> {
  const writes = new WriteChain();
  const restore = await context.catalog.updateRestore(restoreId, {
    status: 'running',
    started_at: nowIso(context),
  });
  const destination = unsealConfig(restore.destination, context.sealer);
  const secrets = secretValues(destination);
  context.events.emit('restore.started', {
    id: restoreId,
    status: restoreStatusView(restore, nowIso(context)),
  });
  const span = restoreSpan(context, restore, destination);
  try {
    const outcome = await span.run(() =>
      restoreFromBackup(context, restore, destination, { secrets, writes, signal }),
    );
    await recordCompleted(context, restoreId, outcome, writes);
  } catch (thrown) {
    await recordFailed(context, restoreId, thrown, { secrets, writes, signal });
  }
}

/** Records a restore's success, emits `restore.completed` and notifies. */
async function recordCompleted(
  context: ServiceContext,
  restoreId: string,
  outcome: Partial<RestoreRecord>,
  writes: WriteChain,
): Promise<void> {
  const restore = await writes.run(() => context.catalog.updateRestore(restoreId, outcome));
  context.events.emit('restore.completed', {
    id: restoreId,
    status: restoreStatusView(restore, nowIso(context)),
  });
  await notifyRestore(context, restore);
}

/** Records a restore that failed or was cancelled (secrets scrubbed), emits `restore.failed`, notifies a failure. */
async function recordFailed(
  context: ServiceContext,
  restoreId: string,
  thrown: unknown,
  run: { secrets: string[]; writes: WriteChain; signal: AbortSignal },
): Promise<void> {
  const cancelled = run.signal.aborted;
  const error = cancelled
    ? new BackupError('aborted', 'The restore was cancelled', { details: { restore_id: restoreId } })
    : toBackupError(thrown, 'restore_failed');
  const stored = errorInfoOf(error, run.secrets);
  const restore = await run.writes.run(() =>
    context.catalog.updateRestore(restoreId, {
      status: cancelled ? 'cancelled' : 'failed',
      completed_at: nowIso(context),
      estimated_completion: null,
      error: stored,
    }),
  );
  context.events.emit('restore.failed', {
    id: restoreId,
    status: restoreStatusView(restore, nowIso(context)),
    error: errorOfInfo(stored),
  });
  if (!cancelled) await notifyRestore(context, restore);
}

export type { View };
