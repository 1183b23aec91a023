import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { BackupRecord, JobRecord } from '../catalog/records.js';
import { isBackupError, toBackupError } from '../errors.js';
import type { KeyProvider } from '../keys/key-provider.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import { Repository } from '../repository/repository.js';
import { maskSecrets } from '../security/redaction.js';
import { isSecretField } from '../security/secret-fields.js';
import type { DestinationConfig, StorageDriver } from '../storage/storage-driver.js';
import { storedManifestChecksum } from './checksum-check.js';

/** Who placeholder jobs are "created by": marks a job row that `rebuildCatalog` invented. */
export const REBUILT_JOB_CREATOR = 'backupkit:rebuild-catalog';

export interface RebuildCatalogOptions {
  catalog: CatalogRepository;
  /** The storage destination's driver (its root is the repository). */
  driver: StorageDriver;
  /** Master keys, for encrypted repositories. */
  keyProvider?: KeyProvider;
  /** The destination config the driver was built from. */
  destination: DestinationConfig;
  /**
   * What rebuilt backup and placeholder job rows record as their destination (e.g. the service's
   * sealed form). Default: `destination` without its secret fields.
   */
  recordedDestination?: Record<string, unknown>;
  /** Only these backup ids (default: every committed backup in storage). */
  backupIds?: string[];
  signal?: AbortSignal;
  /** Clock for placeholder job timestamps (default: the system clock). */
  now?: () => Date;
}

export interface RebuildCatalogResult {
  /** Committed backups found in storage. */
  found: string[];
  /** Backups this call added to the catalog. */
  inserted: string[];
  /** Backups the catalog already knew. */
  existing: string[];
  /** Placeholder jobs created for backups whose job the catalog did not know. */
  jobs_created: string[];
  /** Backups whose manifest could not be read (damaged, key missing), with why. */
  skipped: Array<{ backup_id: string; code: string; message: string }>;
}

/** The destination without credentials, as backup rows store it: secret fields dropped, the rest masked. */
export function publicDestination(destination: DestinationConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(destination)
      .filter(([field]) => !isSecretField(field))
      .map(([field, value]) => [field, typeof value === 'string' ? maskSecrets(value) : value]),
  );
}

/**
 * Rebuilds catalog rows from storage alone: reads every committed snapshot manifest (the
 * manifest is the commit, so storage is the truth) and inserts a `BackupRecord` for each one
 * the catalog does not know, plus a placeholder job row (status `paused`, `created_by`
 * `backupkit:rebuild-catalog`) when the backup's job is unknown. Idempotent: rows that exist are
 * left alone, concurrent rebuilds do not duplicate. Manifests that cannot be read are reported
 * in `skipped`, never guessed at.
 * @throws BackupError `not_found` (no repository at the destination), storage errors, `aborted`.
 */
export async function rebuildCatalog(options: RebuildCatalogOptions): Promise<RebuildCatalogResult> {
  const { catalog, driver, signal } = options;
  const now = options.now ?? (() => new Date());
  const repository = await Repository.open(driver, {
    keyProvider: options.keyProvider,
    create: false,
    signal,
  });
  const stored = await repository.listSnapshotIds({ signal });
  const wanted = options.backupIds ? new Set(options.backupIds) : null;
  const recorded = options.recordedDestination ?? publicDestination(options.destination);
  const result: RebuildCatalogResult = {
    found: [],
    inserted: [],
    existing: [],
    jobs_created: [],
    skipped: [],
  };
  for (const backupId of stored) {
    if (wanted && !wanted.has(backupId)) continue;
    result.found.push(backupId);
    if (await catalog.getBackup(backupId)) {
      result.existing.push(backupId);
      continue;
    }
    let manifest: Manifest;
    let checksum: string;
    try {
      manifest = await repository.readManifest(backupId, { signal });
      checksum = await storedManifestChecksum(repository, backupId, signal);
    } catch (thrown) {
      if (signal?.aborted) throw thrown;
      const error = toBackupError(thrown);
      result.skipped.push({ backup_id: backupId, code: error.code, message: error.message });
      continue;
    }
    let job = await catalog.getJob(manifest.job_id);
    if (!job) {
      job = placeholderJob(manifest, recorded, now().toISOString());
      try {
        await catalog.insertJob(job);
        result.jobs_created.push(job.job_id);
      } catch (error) {
        if (!isBackupError(error, 'conflict')) throw error;
        job = (await catalog.getJob(manifest.job_id)) ?? job;
      }
    }
    try {
      await catalog.insertBackup(
        backupRecordOf(manifest, job, driver, options.destination, checksum, recorded),
      );
      result.inserted.push(backupId);
    } catch (error) {
      if (!isBackupError(error, 'conflict')) throw error;
      result.existing.push(backupId);
    }
  }
  return result;
}

/** The catalog row a committed manifest stands for (the same fields a backup run records). */
export function backupRecordOf(
  manifest: Manifest,
  job: Pick<JobRecord, 'job_id' | 'job_name' | 'encryption'>,
  driver: StorageDriver,
  destination: DestinationConfig,
  checksum: string,
  recordedDestination: Record<string, unknown> = publicDestination(destination),
): BackupRecord {
  const fileSize = manifest.totals.referenced_stored_bytes;
  const logical = manifest.totals.logical_bytes;
  const duration = (Date.parse(manifest.completed_at) - Date.parse(manifest.started_at)) / 1000;
  return {
    backup_id: manifest.backup_id,
    job_id: manifest.job_id,
    job_name: job.job_name,
    execution_id: null,
    backup_type: manifest.backup_type,
    status: 'completed',
    file_path: driver.describe(snapshotKey(manifest.backup_id)),
    destination_type: String(destination.type),
    storage_class: typeof destination.storage_class === 'string' ? destination.storage_class : null,
    file_size: fileSize,
    logical_size: logical,
    new_bytes: manifest.totals.stored_bytes,
    compression_ratio: logical > 0 ? Math.round((fileSize / logical) * 10_000) / 10_000 : 0,
    encryption: manifest.encryption.enabled ? String(job.encryption.algorithm ?? 'AES-256') : null,
    checksum,
    parent_backup_id: manifest.parent_backup_id,
    started_at: manifest.started_at,
    created_at: manifest.completed_at,
    duration: Number.isFinite(duration) ? Math.max(0, Math.round(duration)) : 0,
    verified_at: null,
    verification_status: null,
    retention_until: null,
    destination: recordedDestination,
    metadata: {
      entries: manifest.totals.entries,
      chunks: manifest.totals.chunks,
      new_chunks: manifest.totals.new_chunks,
      key_id: manifest.encryption.key_id ?? null,
      source_type: String(manifest.source.type ?? ''),
      rebuilt_from_storage: true,
    },
  };
}

function placeholderJob(manifest: Manifest, destination: Record<string, unknown>, at: string): JobRecord {
  return {
    job_id: manifest.job_id,
    job_name: `Recovered ${manifest.job_id}`,
    description:
      'Placeholder recreated from storage by rebuildCatalog: the original job was not in the catalog. It never runs; its source is the masked one the manifest recorded.',
    backup_type: manifest.backup_type,
    source: { ...manifest.source },
    destination: { ...destination },
    schedule: null,
    retention: null,
    compression: { ...manifest.compression },
    encryption: manifest.encryption.enabled
      ? { enabled: true, algorithm: 'AES-256', key_id: manifest.encryption.key_id ?? null }
      : { enabled: false },
    verification: { enabled: false },
    notifications: null,
    status: 'paused',
    created_at: at,
    created_by: REBUILT_JOB_CREATOR,
    updated_at: at,
    last_run: null,
    next_run: null,
  };
}
