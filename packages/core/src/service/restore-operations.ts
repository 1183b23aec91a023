import type { BackupRecord, RestoreRecord } from '../catalog/records.js';
import { runRestore, verifyChunks } from '../engine/restore-engine.js';
import { BackupError, toBackupError } from '../errors.js';
import { BACKUP_ID } from '../repository/layout.js';
import type { ManifestEntry } from '../repository/manifest.js';
import { Repository } from '../repository/repository.js';
import { selectFilesystemEntries } from '../sources/filesystem/filesystem-restore-target.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import type { CallContext, View } from './backup-service.js';
import { notifyRestore } from './notifications.js';
import { selectRestoreTables } from './restore-selection.js';
import { type CreateRestoreParsed, createRestoreSchema } from './schemas/restore.js';
import { scrubMessage, sealConfig, secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { recoverFromStorage } from './storage-recovery.js';
import { invalidConfig, parseInput } from './validate.js';
import { restoreStatusView } from './views.js';

const DATABASE_TYPES = new Set(['database', 'postgres']);

/** @throws BackupError `backup_not_found` unless the backup exists and completed. */
export async function loadBackup(context: ServiceContext, backupId: string): Promise<BackupRecord> {
  let backup = typeof backupId === 'string' ? await context.catalog.getBackup(backupId) : null;
  if (!backup && typeof backupId === 'string' && BACKUP_ID.test(backupId)) {
    // Unknown to the catalog but maybe committed in storage (a lost or older catalog).
    await recoverFromStorage(context, { backupIds: [backupId] });
    backup = await context.catalog.getBackup(backupId);
  }
  if (backup?.status !== 'completed') {
    throw new BackupError('backup_not_found', 'Backup not found', { details: { backup_id: backupId } });
  }
  return backup;
}

function sourceTypeOf(backup: BackupRecord, manifestSourceType?: unknown): string {
  return String(manifestSourceType ?? backup.metadata.source_type ?? '');
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
  const backup = await loadBackup(context, parsed.backup_id);
  context.sources.get(parsed.destination.type, 'destination.type');
  const backupSource = sourceTypeOf(backup);
  if (backupSource) {
    const sameFamily =
      DATABASE_TYPES.has(backupSource) === DATABASE_TYPES.has(parsed.destination.type) ||
      backupSource === parsed.destination.type;
    if (!sameFamily) {
      throw invalidConfig(
        'destination.type',
        `A ${backupSource} backup cannot be restored to a ${parsed.destination.type} destination`,
      );
    }
  }
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
    result: null,
    verification: null,
    error: null,
  };
  await context.catalog.insertRestore(record);
  return { record, parsed };
}

/**
 * The status `verification` block. Every entry's SHA-256 (and each chunk's id) was checked while
 * it streamed; a database target adds its own checks (constraints, indexes, row data).
 */
function restoreVerification(
  requested: boolean,
  isDatabase: boolean,
  details: Record<string, unknown>,
  restoredAt: string,
): Record<string, unknown> {
  if (!requested) {
    // Not asked for: the block keeps its shape (entry checksums were still checked while streaming).
    return {
      status: 'skipped',
      data_integrity_verified: false,
      constraints_verified: false,
      indexes_verified: false,
      verified_at: null,
    };
  }
  const target =
    typeof details.verification === 'object' && details.verification !== null
      ? (details.verification as Record<string, unknown>)
      : {};
  const constraints = isDatabase ? details.constraints_verified !== false : null;
  const indexes = isDatabase ? details.indexes_verified !== false : null;
  return {
    status: constraints === false || indexes === false || target.status === 'failed' ? 'failed' : 'passed',
    data_integrity_verified: true,
    constraints_verified: constraints,
    indexes_verified: indexes,
    verified_at: typeof target.verified_at === 'string' ? target.verified_at : restoredAt,
  };
}

function restoreWarnings(own: string[], target: unknown): { warnings?: unknown[] } {
  const all = [...own, ...(Array.isArray(target) ? target : [])];
  return all.length > 0 ? { warnings: all } : {};
}

/** The background body of a restore; records and emits the outcome, never throws. */
export async function runRestoreJob(
  context: ServiceContext,
  restoreId: string,
  signal: AbortSignal,
): Promise<void> {
  const { catalog } = context;
  let restore = await catalog.updateRestore(restoreId, { status: 'running', started_at: nowIso(context) });
  const destination = unsealConfig(restore.destination, context.sealer);
  const secrets = secretValues(destination);
  context.events.emit('restore.started', {
    id: restoreId,
    status: restoreStatusView(restore, nowIso(context)),
  });
  let lastWrite = 0;
  try {
    const backup = await loadBackup(context, restore.backup_id);
    const driver = await context.storage.open(
      unsealConfig(backup.destination, context.sealer) as DestinationConfig,
    );
    try {
      const repository = await Repository.open(driver, { keyProvider: context.keys, create: false, signal });
      const manifest = await repository.readManifest(backup.backup_id, { signal });
      const isDatabase = DATABASE_TYPES.has(String(destination.type));
      const warnings: string[] = [];
      let entries: ManifestEntry[];
      let targetConfig = destination;
      if (isDatabase) {
        const selection = selectRestoreTables(manifest.entries, destination.tables);
        if (selection.missing.length > 0) {
          warnings.push(`Not in backup ${backup.backup_id}, skipped: ${selection.missing.join(', ')}`);
        }
        if (selection.tables && selection.entries.length === 0) {
          throw invalidConfig(
            'destination.tables',
            `None of the requested tables is in backup ${backup.backup_id}`,
          );
        }
        entries = selection.entries;
        if (selection.tables) targetConfig = { ...destination, tables: selection.tables };
      } else {
        const selection = destination.paths as string[] | undefined;
        entries = selectFilesystemEntries(manifest.entries, selection);
        if (selection && entries.length === 0) {
          throw invalidConfig('destination.paths', 'Nothing in the backup matches the selection');
        }
      }
      const options = { ...restore.restore_options, ...targetConfig };
      if (restore.restore_options.verify_before_restore === true) {
        await verifyChunks(repository, manifest, entries, { signal });
      }
      const kind = context.sources.get(String(destination.type), 'destination.type');
      const target = kind.createRestoreTarget(targetConfig, restore.restore_options);
      const result = await runRestore({
        repository,
        manifest,
        target,
        entries,
        options,
        signal,
        onProgress: (progress) => {
          const now = Date.now();
          if (now - lastWrite < context.progressIntervalMs) return;
          lastWrite = now;
          void catalog.updateRestore(restoreId, { progress: progress.percent }).catch(() => {});
          context.events.emit('restore.progress', {
            id: restoreId,
            progress: progress.percent,
            bytes_done: progress.bytesDone,
            bytes_total: progress.bytesEstimated,
            estimated_completion: progress.estimatedCompletionAt?.toISOString() ?? null,
          });
        },
      });
      const restoredAt = nowIso(context);
      const tables = entries.filter((entry) => entry.kind === 'table').length;
      const files = entries.filter((entry) => entry.kind === 'file').length;
      const details = result.details;
      restore = await catalog.updateRestore(restoreId, {
        status: 'completed',
        progress: 100,
        completed_at: restoredAt,
        result: {
          tables_restored: tables,
          files_restored: files,
          entries_restored: result.entries.length,
          records_restored: result.records,
          data_size: result.bytes,
          restored_at: restoredAt,
          ...restoreWarnings(warnings, details.warnings),
        },
        verification: restoreVerification(
          restore.restore_options.verify_after_restore === true,
          isDatabase,
          details,
          restoredAt,
        ),
      });
    } finally {
      await driver.close?.().catch(() => {});
    }
    context.events.emit('restore.completed', {
      id: restoreId,
      status: restoreStatusView(restore, nowIso(context)),
    });
    await notifyRestore(context, restore);
  } catch (thrown) {
    const cancelled = signal.aborted;
    const error = cancelled
      ? new BackupError('aborted', 'The restore was cancelled')
      : toBackupError(thrown, 'restore_failed');
    const message = scrubMessage(error.message, secrets);
    restore = await catalog.updateRestore(restoreId, {
      status: cancelled ? 'cancelled' : 'failed',
      completed_at: nowIso(context),
      error: { code: error.code, message },
    });
    context.events.emit('restore.failed', {
      id: restoreId,
      status: restoreStatusView(restore, nowIso(context)),
      error: new BackupError(error.code, message, { details: error.details }),
    });
    if (!cancelled) await notifyRestore(context, restore);
  }
}

export type { View };
