import { createHash } from 'node:crypto';
import type { BackupRecord, ExecutionRecord, JobRecord } from '../catalog/records.js';
import { runBackup } from '../engine/backup-engine.js';
import type { BackupProgress } from '../engine/progress.js';
import { BackupError, isBackupError, toBackupError } from '../errors.js';
import { snapshotKey } from '../repository/layout.js';
import type { CompressionAlgorithm, Manifest } from '../repository/manifest.js';
import { Repository } from '../repository/repository.js';
import { isEmptyPolicy, normalizeRetentionPolicy } from '../retention/plan-retention.js';
import { withRepositoryLock } from '../retention/repository-lock.js';
import type { DestinationConfig, StorageDriver } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import { notifyExecution } from './notifications.js';
import { estimateRetentionUntil } from './retention-estimate.js';
import { applyRetentionPolicy } from './retention-operations.js';
import type { ExecuteJobParsed } from './schemas/execute.js';
import { scrubMessage, secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { verifyStoredBackup } from './verification-runner.js';
import { durationSeconds, jobStatusView } from './views.js';

/** Serialises catalog writes of one run so a late progress write never lands after the final one. */
class WriteChain {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(write: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(write, write);
    this.#tail = next.catch(() => {});
    return next;
  }
}

async function sha256Of(driver: StorageDriver, key: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await driver.get(key, { signal })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The backup this run builds on: the job's newest completed one (newest full for differential). */
async function findParent(
  context: ServiceContext,
  job: JobRecord,
  repository: Repository,
  full: boolean,
): Promise<Manifest | null> {
  if (full) return null;
  const page = await context.catalog.listBackups({
    job_id: job.job_id,
    status: 'completed',
    ...(job.backup_type === 'differential' ? { backup_type: 'full' } : {}),
    limit: 1,
    offset: 0,
  });
  const parent = page.items[0];
  if (!parent) return null;
  try {
    return await repository.readManifest(parent.backup_id);
  } catch (error) {
    // The job may have moved to another destination, or the backup was pruned: start afresh.
    context.logger.warn('Parent backup unreadable; running without a parent', {
      job_id: job.job_id,
      backup_id: parent.backup_id,
      code: toBackupError(error).code,
    });
    return null;
  }
}

export interface RunExecutionResult {
  execution: ExecutionRecord;
  backup: BackupRecord | null;
}

/**
 * The background body of an execution: source → engine → repository, then the backup row,
 * verification and the final status. Its lease is renewed by the scheduler that runs it. Records every outcome (completed, failed, cancelled)
 * in the catalog and emits the matching event; never throws.
 */
export async function runExecution(
  context: ServiceContext,
  executionId: string,
  options: ExecuteJobParsed,
  signal: AbortSignal,
): Promise<RunExecutionResult> {
  const { catalog } = context;
  const writes = new WriteChain();
  let execution = (await catalog.getExecution(executionId))!;
  const job = (await catalog.getJob(execution.job_id))!;
  const startedAt = execution.started_at ?? nowIso(context);
  const custom = options.custom_parameters;
  const sourceConfig = unsealConfig(job.source, context.sealer);
  const destination = unsealConfig(job.destination, context.sealer) as DestinationConfig;
  const secrets = [...secretValues(sourceConfig), ...secretValues(destination)];
  let backup: BackupRecord | null = null;
  let lastProgressWrite = 0;

  context.events.emit('execution.started', {
    id: executionId,
    job_id: job.job_id,
    status: jobStatusView(job, execution, null, null, nowIso(context)),
  });

  try {
    const driver = await context.storage.open(destination);
    try {
      const encrypted = job.encryption.enabled === true || custom.encryption_key !== undefined;
      const keyId = custom.encryption_key ?? (job.encryption.key_id as string | undefined);
      const repository = await Repository.open(driver, {
        keyProvider: context.keys,
        encryption: encrypted ? { enabled: true, keyId } : { enabled: false },
        create: true,
        signal,
      });
      const kind = context.sources.get(String(sourceConfig.type));
      const source = kind.createSource(sourceConfig);
      const full = job.backup_type === 'full' || options.execution_options.force_full_backup;
      const parent = await findParent(context, job, repository, full);
      const backupId = newId('backup');
      const algorithm = String(job.compression.algorithm ?? 'none') as CompressionAlgorithm;
      const level = custom.compression_level ?? (job.compression.level as number | undefined);

      const onProgress = (progress: BackupProgress) => {
        const now = Date.now();
        if (now - lastProgressWrite < context.progressIntervalMs && progress.percent < 100) return;
        lastProgressWrite = now;
        const estimated = progress.estimatedCompletionAt?.toISOString() ?? null;
        const patch = {
          progress: progress.percent,
          bytes_done: progress.bytesDone,
          bytes_total: progress.bytesEstimated,
          estimated_completion: estimated,
          lease_expires_at: new Date(context.clock.now().getTime() + context.leaseMs).toISOString(),
        };
        void writes.run(() => catalog.updateExecution(executionId, patch)).catch(() => {});
        context.events.emit('execution.progress', {
          id: executionId,
          job_id: job.job_id,
          progress: progress.percent,
          bytes_done: progress.bytesDone,
          bytes_total: progress.bytesEstimated,
          estimated_completion: estimated,
        });
      };

      // The shared repository lock keeps garbage collection out while this run may reuse stored chunks.
      const manifest = await withRepositoryLock(
        repository.driver,
        'shared',
        () =>
          runBackup({
            repository,
            source,
            context: {
              signal,
              parent,
              full,
              ...(custom.tables ? { only: custom.tables } : {}),
            },
            jobId: job.job_id,
            backupId,
            backupType: options.execution_options.force_full_backup ? 'full' : job.backup_type,
            compression: algorithm === 'none' ? { algorithm } : { algorithm, level },
            onProgress,
            signal,
            progressIntervalMs: Math.min(200, context.progressIntervalMs),
          }),
        { owner: executionId, signal },
      );

      const createdAt = nowIso(context);
      const fileSize = manifest.totals.referenced_stored_bytes;
      const logical = manifest.totals.logical_bytes;
      backup = {
        backup_id: backupId,
        job_id: job.job_id,
        job_name: job.job_name,
        execution_id: executionId,
        backup_type: manifest.backup_type,
        status: 'completed',
        file_path: driver.describe(snapshotKey(backupId)),
        destination_type: String(destination.type),
        storage_class: typeof destination.storage_class === 'string' ? destination.storage_class : null,
        file_size: fileSize,
        logical_size: logical,
        new_bytes: manifest.totals.stored_bytes,
        compression_ratio: logical > 0 ? Math.round((fileSize / logical) * 10_000) / 10_000 : 0,
        encryption: manifest.encryption.enabled ? String(job.encryption.algorithm ?? 'AES-256') : null,
        checksum: await sha256Of(driver, snapshotKey(backupId), signal),
        parent_backup_id: manifest.parent_backup_id,
        started_at: startedAt,
        created_at: createdAt,
        duration: durationSeconds(startedAt, createdAt) ?? 0,
        verified_at: null,
        verification_status: null,
        retention_until: estimateRetentionUntil(job, createdAt),
        // Sealed as on the job: restores and verifications reach the backup through it.
        destination: job.destination,
        metadata: {
          entries: manifest.totals.entries,
          chunks: manifest.totals.chunks,
          new_chunks: manifest.totals.new_chunks,
          key_id: manifest.encryption.key_id ?? null,
          source_type: String(sourceConfig.type),
        },
      };
      await catalog.insertBackup(backup);

      const verify = job.verification;
      if (verify.enabled === true && !options.execution_options.skip_verification) {
        await verifyStoredBackup(context, backup, {
          verification_type: typeof verify.verification_type === 'string' ? verify.verification_type : 'full',
          ...(verify.test_restore_options
            ? { test_restore_options: verify.test_restore_options as Record<string, unknown> }
            : {}),
          checksum_verification: verify.checksum_verification !== false,
          integrity_check: verify.integrity_check !== false,
          test_restore: verify.test_restore === true,
          requested_by: execution.executed_by,
          repository,
          signal,
        });
        backup = (await catalog.getBackup(backupId)) ?? backup;
      }
    } finally {
      await driver.close?.().catch(() => {});
    }

    if (
      context.retentionAfterBackup &&
      job.retention &&
      !isEmptyPolicy(normalizeRetentionPolicy(job.retention))
    ) {
      // Before the final status, so whoever waits for this run sees the policy applied. Retention
      // or GC trouble is logged; the backup itself has succeeded and stays so.
      try {
        await applyRetentionPolicy(context, job.job_id, {});
      } catch (error) {
        context.logger.warn('Retention after backup failed', {
          job_id: job.job_id,
          code: toBackupError(error).code,
        });
      }
    }

    const completedAt = nowIso(context);
    execution = await writes.run(() =>
      catalog.updateExecution(executionId, {
        status: 'completed',
        progress: 100,
        completed_at: completedAt,
        estimated_completion: completedAt,
        backup_id: backup!.backup_id,
        lease_expires_at: null,
      }),
    );
    await catalog.updateJob(job.job_id, { last_run: startedAt });
    const verification = await catalog.latestVerification(backup!.backup_id);
    const status = jobStatusView(job, execution, backup, verification, completedAt);
    context.events.emit('execution.completed', { id: executionId, job_id: job.job_id, status });
    if (options.execution_options.notify_on_completion) {
      const warnings =
        verification && verification.status !== 'passed'
          ? [`Verification ${verification.status}: ${verification.error ?? 'see the verification record'}`]
          : [];
      await notifyExecution(context, job, execution, backup, warnings);
    }
    return { execution, backup };
  } catch (thrown) {
    const cancelled = signal.aborted;
    const error = cancelled
      ? new BackupError('aborted', 'The execution was cancelled', { details: { execution_id: executionId } })
      : toBackupError(thrown);
    const message = scrubMessage(error.message, secrets);
    const completedAt = nowIso(context);
    // Lease lost (cancelled in the catalog by another instance, or failed at lease expiry): the
    // record already holds the outcome others decided; it is kept, not overwritten.
    const leaseLost = cancelled && isBackupError(signal.reason, 'conflict');
    const current = leaseLost ? await writes.run(() => catalog.getExecution(executionId)) : null;
    execution =
      current ??
      (await writes.run(() =>
        catalog.updateExecution(executionId, {
          status: cancelled ? 'cancelled' : 'failed',
          completed_at: completedAt,
          lease_expires_at: null,
          error: { code: error.code, message },
        }),
      ));
    await catalog.updateJob(job.job_id, { last_run: startedAt }).catch(() => {});
    context.logger.warn(cancelled ? 'Execution cancelled' : 'Execution failed', {
      execution_id: executionId,
      job_id: job.job_id,
      code: error.code,
      message,
    });
    const emitted = new BackupError(error.code, message, { details: error.details });
    context.events.emit('execution.failed', {
      id: executionId,
      job_id: job.job_id,
      status: jobStatusView(job, execution, null, null, completedAt),
      error: emitted,
    });
    if (!cancelled && options.execution_options.notify_on_completion) {
      await notifyExecution(context, job, execution, null, []);
    }
    return { execution, backup: null };
  }
}
