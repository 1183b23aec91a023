import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { isBackupError, toBackupError } from '../errors.js';
import type { KeyProvider } from '../keys/key-provider.js';
import { REPO_CONFIG_KEY } from '../repository/layout.js';
import type { DestinationConfig, StorageDriver } from '../storage/storage-driver.js';
import { type RebuildCatalogResult, rebuildCatalog } from './rebuild-catalog.js';

export interface RecoverFromStorageOptions {
  catalog: CatalogRepository;
  /** Destinations to look in (real credentials), deduplicated by the caller or not. */
  destinations: DestinationConfig[];
  /** Builds a driver for a destination (closed again afterwards when it has `close`). */
  openDriver: (destination: DestinationConfig) => Promise<StorageDriver> | StorageDriver;
  keyProvider?: KeyProvider;
  /** What rows record as their destination (e.g. a sealed form); default: without secret fields. */
  recordDestination?: (destination: DestinationConfig) => Record<string, unknown>;
  /** Only these backups; stops looking once all are found. Default: every backup in every destination. */
  backupIds?: string[];
  signal?: AbortSignal;
}

export interface RecoverFromStorageResult {
  inserted: string[];
  jobs_created: string[];
  skipped: RebuildCatalogResult['skipped'];
  /** Destinations that could not be read (no repository there, unreachable): where (`repo.json` location) and why. */
  unreachable: Array<{ destination: string; code: string; message: string }>;
}

/**
 * `rebuildCatalog` over several destinations: what a service runs when its catalog does not know
 * a backup that storage has (the catalog was lost or restored from an older copy). A destination
 * without a repository or out of reach is reported, not fatal: the others may hold the backup.
 * @throws BackupError `aborted`.
 */
export async function recoverBackupsFromStorage(
  options: RecoverFromStorageOptions,
): Promise<RecoverFromStorageResult> {
  const result: RecoverFromStorageResult = { inserted: [], jobs_created: [], skipped: [], unreachable: [] };
  const pending = options.backupIds ? new Set(options.backupIds) : null;
  const seen = new Set<string>();
  for (const destination of options.destinations) {
    if (pending && pending.size === 0) break;
    const identity = JSON.stringify(destination);
    if (seen.has(identity)) continue;
    seen.add(identity);
    options.signal?.throwIfAborted();
    let driver: StorageDriver | null = null;
    try {
      driver = await options.openDriver(destination);
      const rebuilt = await rebuildCatalog({
        catalog: options.catalog,
        driver,
        keyProvider: options.keyProvider,
        destination,
        ...(options.recordDestination ? { recordedDestination: options.recordDestination(destination) } : {}),
        ...(pending ? { backupIds: [...pending] } : {}),
        signal: options.signal,
      });
      result.inserted.push(...rebuilt.inserted);
      result.jobs_created.push(...rebuilt.jobs_created);
      result.skipped.push(...rebuilt.skipped);
      for (const id of [...rebuilt.inserted, ...rebuilt.existing]) pending?.delete(id);
    } catch (thrown) {
      if (options.signal?.aborted || isBackupError(thrown, 'aborted')) throw thrown;
      const error = toBackupError(thrown);
      result.unreachable.push({
        destination: driver ? driver.describe(REPO_CONFIG_KEY) : String(destination.type),
        code: error.code,
        message: error.message,
      });
    } finally {
      await driver?.close?.().catch(() => {});
    }
  }
  return result;
}
