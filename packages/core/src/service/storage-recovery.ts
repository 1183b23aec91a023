import type { DestinationConfig } from '../storage/storage-driver.js';
import {
  type RecoverFromStorageResult,
  recoverBackupsFromStorage,
} from '../verification/catalog-recovery.js';
import { sealConfig, unsealConfig } from './secrets.js';
import type { ServiceContext } from './service-context.js';

export interface RecoverOptions {
  /** Only these backups (stops once all are found); default every backup in storage. */
  backupIds?: string[];
  /** Searched first, besides the `recoveryDestinations` option. */
  destinations?: DestinationConfig[];
  /** Search every job's destination too, deleted jobs included (default true). */
  jobDestinations?: boolean;
  signal?: AbortSignal;
}

async function knownDestinations(
  context: ServiceContext,
  options: RecoverOptions,
): Promise<DestinationConfig[]> {
  const out: DestinationConfig[] = [...(options.destinations ?? []), ...(context.recoveryDestinations ?? [])];
  for (let offset = 0; options.jobDestinations !== false; offset += 500) {
    const page = await context.catalog.listJobs({ limit: 500, offset });
    for (const job of page.items)
      out.push(unsealConfig(job.destination, context.sealer) as DestinationConfig);
    if (page.items.length < 500) break;
  }
  return out;
}

/**
 * Adds to the catalog the committed backups storage has and the catalog lacks (all of them, or
 * just `backupIds`): the catalog rebuilt from storage alone (see `recoverBackupsFromStorage`).
 * Rows record the destination sealed, as backup runs do.
 * @throws BackupError `aborted`; unreachable destinations are reported in the result.
 */
export async function recoverFromStorage(
  context: ServiceContext,
  options: RecoverOptions = {},
): Promise<RecoverFromStorageResult> {
  const result = await recoverBackupsFromStorage({
    catalog: context.catalog,
    destinations: await knownDestinations(context, options),
    openDriver: (destination) => context.storage.open(destination),
    keyProvider: context.keys,
    recordDestination: (destination) => sealConfig(destination, context.sealer),
    ...(options.backupIds ? { backupIds: options.backupIds } : {}),
    signal: options.signal,
  });
  if (result.inserted.length > 0) {
    context.logger.info('Backups added to the catalog from storage', {
      backups: result.inserted.length,
      placeholder_jobs: result.jobs_created,
    });
  }
  for (const skipped of result.skipped) {
    context.logger.warn('A backup in storage could not be read', { ...skipped });
  }
  return result;
}
