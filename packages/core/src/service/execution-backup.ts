import type { JobRecord } from '../catalog/records.js';
import { runBackup } from '../engine/backup-engine.js';
import { toBackupError } from '../errors.js';
import type { CompressionSetting } from '../repository/compression.js';
import type { CompressionAlgorithm, Manifest } from '../repository/manifest.js';
import { Repository } from '../repository/repository.js';
import { withRepositoryLock } from '../retention/repository-lock.js';
import type { BackupSource } from '../sources/backup-source.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import type { ExecutionProgress } from './execution-progress.js';
import type { ExecutionRun } from './execution-run.js';
import { ProgressReporter } from './progress-reporter.js';
import type { ServiceContext } from './service-context.js';
import type { WriteChain } from './write-chain.js';

// The backup step of an execution: its repository, its parents and the engine run.

/**
 * The job's newest completed backup (its newest full one with `fullOnly`): what an incremental
 * run builds on (a differential one on the full), and what any run's estimates start from.
 */
async function findParent(
  context: ServiceContext,
  job: JobRecord,
  repository: Repository,
  fullOnly: boolean,
): Promise<Manifest | null> {
  const page = await context.catalog.listBackups({
    job_id: job.job_id,
    status: 'completed',
    ...(fullOnly ? { backup_type: 'full' } : {}),
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

/** Records a running execution's progress (renewing its lease) and emits `execution.progress`. */
export function executionProgress(
  context: ServiceContext,
  executionId: string,
  jobId: string,
  writes: WriteChain,
): ProgressReporter {
  return new ProgressReporter({
    intervalMs: context.progressIntervalMs,
    writes,
    write: (update) =>
      context.catalog.updateExecution(executionId, {
        progress: update.progress,
        bytes_done: update.bytes_done,
        bytes_total: update.bytes_total,
        estimated_completion: update.estimated_completion,
        lease_expires_at: new Date(context.clock.now().getTime() + context.leaseMs).toISOString(),
      }),
    emit: (update) =>
      context.events.emit('execution.progress', { id: executionId, job_id: jobId, ...update }),
  });
}

/** The job's repository, created on first use, encrypted as the job (or the run's key) says. */
export function openRepository(
  context: ServiceContext,
  run: ExecutionRun,
  driver: StorageDriver,
  signal: AbortSignal,
): Promise<Repository> {
  const { job } = run;
  const custom = run.options.custom_parameters;
  const encrypted = job.encryption.enabled === true || custom.encryption_key !== undefined;
  const keyId = custom.encryption_key ?? (job.encryption.key_id as string | undefined);
  return Repository.open(driver, {
    keyProvider: context.keys,
    encryption: encrypted ? { enabled: true, keyId } : { enabled: false },
    create: true,
    signal,
  });
}

/** Runs the engine: a full, incremental or differential backup of `source`, under a shared lock. */
export async function backUp(
  context: ServiceContext,
  run: ExecutionRun,
  parts: { repository: Repository; source: BackupSource; progress: ExecutionProgress; signal: AbortSignal },
): Promise<Manifest> {
  const { job, options } = run;
  const { repository, signal } = parts;
  const custom = options.custom_parameters;
  const full = job.backup_type === 'full' || options.execution_options.force_full_backup;
  const parent = full ? null : await findParent(context, job, repository, job.backup_type === 'differential');
  // Estimates (a table's size last time) come from the newest backup, full runs included.
  const previous =
    parent && job.backup_type !== 'differential' ? parent : await findParent(context, job, repository, false);
  const backupId = newId('backup');
  // The shared repository lock keeps garbage collection out while this run may reuse stored chunks.
  return withRepositoryLock(
    repository.driver,
    'shared',
    () =>
      runBackup({
        repository,
        source: parts.source,
        context: { signal, parent, previous, full, ...(custom.tables ? { only: custom.tables } : {}) },
        jobId: job.job_id,
        backupId,
        backupType: options.execution_options.force_full_backup ? 'full' : job.backup_type,
        compression: compressionOf(job, custom.compression_level),
        onProgress: (p) => parts.progress.backup(p),
        signal,
        progressIntervalMs: Math.min(200, context.progressIntervalMs),
        ...(run.phases ? { phases: run.phases } : {}),
      }),
    { owner: run.executionId, signal },
  );
}

/** The job's compression, at the run's level when it names one. */
function compressionOf(job: JobRecord, runLevel: number | undefined): CompressionSetting {
  const algorithm = String(job.compression.algorithm ?? 'none') as CompressionAlgorithm;
  const level = runLevel ?? (job.compression.level as number | undefined);
  return algorithm === 'none' ? { algorithm } : { algorithm, level };
}
