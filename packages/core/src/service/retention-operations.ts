import type { BackupRecord } from '../catalog/records.js';
import { BackupError, isBackupError } from '../errors.js';
import { Repository } from '../repository/repository.js';
import { collectGarbage } from '../retention/collect-garbage.js';
import { planRetention } from '../retention/plan-retention.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import type { CallContext } from './backup-service.js';
import { loadJob } from './job-operations.js';
import { applyRetentionOptionsSchema } from './schemas/queries.js';
import type { GarbageCollectionView, RetentionResult } from './schemas/views/index.js';
import { unsealConfig } from './secrets.js';
import type { ServiceContext } from './service-context.js';
import { parseInput } from './validate.js';

/**
 * Applies the job's retention policy (restic `forget` semantics): forgotten backups' manifests
 * are deleted from storage and their rows marked `deleted`, then garbage collection deletes the
 * chunks no remaining manifest references. `dry_run` only reports.
 * @throws BackupError `validation_failed`, `job_not_found` (also for a job `call` may not see).
 */
export async function applyRetentionPolicy(
  context: ServiceContext,
  jobId: string,
  optionsInput: unknown,
  call?: CallContext,
): Promise<RetentionResult> {
  const options = parseInput(applyRetentionOptionsSchema, optionsInput ?? {});
  const job = await loadJob(context, jobId, call);
  const backups: BackupRecord[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await context.catalog.listBackups({
      job_id: jobId,
      status: 'completed',
      limit: 500,
      offset,
    });
    backups.push(...page.items);
    if (page.items.length < 500) break;
  }
  const timezone = typeof job.schedule?.timezone === 'string' ? job.schedule.timezone : 'UTC';
  const plan = planRetention(backups, job.retention ?? {}, { timezone, now: context.clock.now() });
  const deleted: string[] = [];
  // Repositories to garbage-collect: the job's own, and wherever a forgotten backup lived.
  const repositories = new Map([[JSON.stringify(job.destination), job.destination]]);
  if (!options.dry_run) {
    for (const decision of plan.forget) {
      const backup = backups.find((b) => b.backup_id === decision.backup_id)!;
      repositories.set(JSON.stringify(backup.destination), backup.destination);
      const driver = await context.storage.open(
        unsealConfig(backup.destination, context.sealer) as DestinationConfig,
      );
      try {
        const repository = await Repository.open(driver, { keyProvider: context.keys, create: false });
        await repository.deleteSnapshot(backup.backup_id);
      } catch (error) {
        if (!isBackupError(error, 'not_found')) throw error;
      } finally {
        await driver.close?.().catch(() => {});
      }
      await context.catalog.updateBackup(backup.backup_id, { status: 'deleted' });
      deleted.push(backup.backup_id);
    }
  }
  const garbage = options.dry_run
    ? null
    : await collectRepositoriesGarbage(context, [...repositories.values()]);
  const kept = plan.keep.map((d) => d.backup_id);
  context.events.emit('retention.applied', { job_id: jobId, deleted, kept, dry_run: options.dry_run });
  return {
    job_id: jobId,
    dry_run: options.dry_run,
    policy: job.retention,
    keep: plan.keep,
    forget: plan.forget,
    deleted,
    garbage_collection: garbage,
  };
}

/**
 * Deletes chunks no remaining manifest references, in each repository. A repository locked by a
 * running backup is skipped (reported as `deferred`); GC trouble never undoes the retention.
 */
async function collectRepositoriesGarbage(
  context: ServiceContext,
  destinations: Array<Record<string, unknown>>,
): Promise<GarbageCollectionView> {
  const totals: GarbageCollectionView = {
    deleted_chunks: 0,
    deleted_bytes: 0,
    spared_recent_chunks: 0,
    deferred: [],
  };
  for (const destination of destinations) {
    const driver = await context.storage.open(unsealConfig(destination, context.sealer) as DestinationConfig);
    try {
      const repository = await Repository.open(driver, { keyProvider: context.keys, create: false });
      const result = await collectGarbage(repository, { graceMs: context.gcGraceMs });
      totals.deleted_chunks += result.deleted_chunks;
      totals.deleted_bytes += result.deleted_bytes;
      totals.spared_recent_chunks += result.spared_recent_chunks;
    } catch (error) {
      if (isBackupError(error, 'not_found')) continue; // no repository there (yet)
      const code = error instanceof BackupError ? error.code : 'internal_error';
      context.logger.warn('Garbage collection deferred', { location: driver.describe(''), code });
      totals.deferred.push({ location: driver.describe(''), code });
    } finally {
      await driver.close?.().catch(() => {});
    }
  }
  return totals;
}
