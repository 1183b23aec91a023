import { createHash } from 'node:crypto';
import type { BackupRecord, JobRecord } from '../catalog/records.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { DestinationConfig, StorageDriver } from '../storage/storage-driver.js';
import { estimateRetentionUntil } from './retention-estimate.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { durationSeconds } from './views.js';

async function sha256Of(driver: StorageDriver, key: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await driver.get(key, { signal })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The catalog row of the backup a run committed. */
export async function backupRecordOf(
  context: ServiceContext,
  run: {
    job: JobRecord;
    executionId: string;
    manifest: Manifest;
    driver: StorageDriver;
    destination: DestinationConfig;
    sourceType: string;
    startedAt: string;
    signal: AbortSignal;
  },
): Promise<BackupRecord> {
  const { job, manifest, destination } = run;
  const backupId = manifest.backup_id;
  const createdAt = nowIso(context);
  const fileSize = manifest.totals.referenced_stored_bytes;
  const logical = manifest.totals.logical_bytes;
  return {
    backup_id: backupId,
    job_id: job.job_id,
    job_name: job.job_name,
    execution_id: run.executionId,
    backup_type: manifest.backup_type,
    status: 'completed',
    file_path: run.driver.describe(snapshotKey(backupId)),
    destination_type: String(destination.type),
    storage_class: typeof destination.storage_class === 'string' ? destination.storage_class : null,
    file_size: fileSize,
    logical_size: logical,
    new_bytes: manifest.totals.stored_bytes,
    compression_ratio: logical > 0 ? Math.round((fileSize / logical) * 10_000) / 10_000 : 0,
    encryption: manifest.encryption.enabled ? String(job.encryption.algorithm ?? 'AES-256') : null,
    checksum: await sha256Of(run.driver, snapshotKey(backupId), run.signal),
    parent_backup_id: manifest.parent_backup_id,
    started_at: run.startedAt,
    created_at: createdAt,
    duration: durationSeconds(run.startedAt, createdAt) ?? 0,
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
      source_type: run.sourceType,
    },
  };
}
