import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupRecord, VerificationRecord } from '../catalog/records.js';
import { runRestore, verifyChunks } from '../engine/restore-engine.js';
import { BackupError, toBackupError } from '../errors.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import { Repository } from '../repository/repository.js';
import type { RestoreTarget } from '../sources/backup-source.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import { runTestRestore } from '../verification/test-restore.js';
import type { TestRestoreOptions } from '../verification/types.js';
import { unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { verificationView } from './views.js';

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
}

/** A target that reads and discards: `runRestore` checks each entry's SHA-256 as it streams. */
function discardTarget(): RestoreTarget {
  return {
    parallelism: 2,
    async prepare() {},
    async restoreEntry(entry: ManifestEntry, content: Readable | null) {
      let bytes = 0;
      if (content) for await (const chunk of content) bytes += (chunk as Buffer).length;
      return { name: entry.name, records: 1, bytes };
    },
    async finish() {
      return {};
    },
    async close() {},
  };
}

/** A deterministic sample of `percent`% of the distinct chunks, as one pseudo-entry for `verifyChunks`. */
function sampleEntries(manifest: Manifest, percent: number): ManifestEntry[] {
  const seen = new Map<string, { id: string; size: number }>();
  for (const entry of manifest.entries) for (const ref of entry.chunks) seen.set(ref.id, ref);
  const threshold = Math.ceil((percent / 100) * 0xffffffff);
  const chunks = [...seen.values()].filter((ref) => Number.parseInt(ref.id.slice(0, 8), 16) <= threshold);
  return [{ name: `${percent}% sample`, kind: 'sample', size: 0, chunks, metadata: {} }];
}

async function storedChecksum(
  repository: Repository,
  backupId: string,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await repository.driver.get(snapshotKey(backupId), { signal }))
    hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Verifies a stored backup and records the outcome (`passed`, `failed` or `error`) on a
 * verification record and on the backup row. `quick`: the manifest authenticates and every
 * chunk exists; `full`: every chunk is read and authenticated, and with checksum verification
 * every entry's SHA-256 is recomputed; `NN%`: that share of the chunks is read. Never throws.
 */
export async function verifyStoredBackup(
  context: ServiceContext,
  backup: BackupRecord,
  request: VerifyRequest,
): Promise<VerificationRecord> {
  const { catalog } = context;
  const verificationId = request.verificationId ?? newId('verify');
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
  const running = (await catalog.getVerification(verificationId))!;
  context.events.emit('verification.started', {
    id: verificationId,
    job_id: backup.job_id,
    status: verificationView(running),
  });

  const result: Record<string, unknown> = {
    checksum_verified: false,
    integrity_verified: false,
    test_restore_verified: false,
  };
  const signal = request.signal;
  let status: VerificationRecord['status'] = 'passed';
  let failure: BackupError | null = null;
  let opened: Repository | undefined;
  try {
    let repository = request.repository;
    if (!repository) {
      const driver = await context.storage.open(
        unsealConfig(backup.destination, context.sealer) as DestinationConfig,
      );
      opened = await Repository.open(driver, { keyProvider: context.keys, create: false, signal });
      repository = opened;
    }
    const manifest = await repository.readManifest(backup.backup_id, { signal });
    const progress = (done: number, total: number) => {
      const percent = total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
      context.events.emit('verification.progress', {
        id: verificationId,
        job_id: backup.job_id,
        progress: percent,
        bytes_done: done,
        bytes_total: total,
        estimated_completion: null,
      });
    };
    const type = request.verification_type;
    if (request.integrity_check) {
      if (type === 'quick') {
        for (const entry of manifest.entries) {
          for (const ref of entry.chunks) {
            if (!(await repository.hasChunk(ref.id, { signal }))) {
              throw new BackupError(
                'integrity_error',
                `Chunk ${ref.id} of entry "${entry.name}" is missing`,
                {
                  details: { chunk_id: ref.id, entry: entry.name },
                },
              );
            }
          }
        }
      } else {
        const entries = type.endsWith('%')
          ? sampleEntries(manifest, Number.parseFloat(type))
          : manifest.entries;
        const verified = await verifyChunks(repository, manifest, entries, {
          signal,
          onProgress: (p) => progress(p.chunksDone, p.chunksTotal),
        });
        result.chunks_verified = verified.chunks;
        result.bytes_verified = verified.bytes;
      }
      result.integrity_verified = true;
    }
    if (request.checksum_verification) {
      const stored = await storedChecksum(repository, backup.backup_id, signal);
      if (stored !== backup.checksum) {
        throw new BackupError(
          'integrity_error',
          'The stored manifest does not match the checksum recorded for it',
          {
            details: { backup_id: backup.backup_id },
          },
        );
      }
      if (type === 'full') {
        const total = manifest.totals.logical_bytes;
        const restored = await runRestore({
          repository,
          manifest,
          target: discardTarget(),
          signal,
          onProgress: (p) => progress(p.bytesDone, total),
        });
        result.entries_verified = restored.entries.length;
      }
      result.checksum_verified = true;
    }
    if (request.test_restore) {
      const report = await testRestore(
        context,
        repository,
        manifest,
        backup,
        request.test_restore_options ?? {},
        signal,
      );
      if (report) result.test_restore = report;
      result.test_restore_verified = true;
    }
  } catch (thrown) {
    failure = toBackupError(thrown);
    status = failure.code === 'integrity_error' || failure.code === 'corrupt_repository' ? 'failed' : 'error';
  } finally {
    await opened?.driver.close?.().catch(() => {});
  }
  const completedAt = nowIso(context);
  const record = await catalog.updateVerification(verificationId, {
    status,
    progress: 100,
    completed_at: completedAt,
    estimated_completion: completedAt,
    result,
    error: failure ? `${failure.code}: ${failure.message}` : null,
  });
  await catalog
    .updateBackup(backup.backup_id, { verified_at: completedAt, verification_status: status })
    .catch(() => {});
  const view = verificationView(record);
  if (failure) {
    context.events.emit('verification.failed', {
      id: verificationId,
      job_id: backup.job_id,
      status: view,
      error: failure,
    });
  } else {
    context.events.emit('verification.completed', {
      id: verificationId,
      job_id: backup.job_id,
      status: view,
    });
  }
  return record;
}

/**
 * A test restore: PostgreSQL backups into a test database on the source's server (the job's real
 * connection string names it; `test_restore_options` pick the database and tables), compared with
 * the manifest and cleaned up; filesystem backups into a scratch directory. Differences are
 * damage (`integrity_error`).
 */
async function testRestore(
  context: ServiceContext,
  repository: Repository,
  manifest: Manifest,
  backup: BackupRecord,
  options: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Record<string, unknown> | null> {
  const type = String(manifest.source.type ?? '');
  if (type !== 'filesystem') {
    // Deleted jobs keep their record, so the connection string is still at hand.
    const job = await context.catalog.getJob(backup.job_id);
    const report = await runTestRestore({
      repository,
      manifest,
      options: options as TestRestoreOptions,
      sourceConfig: job ? unsealConfig(job.source, context.sealer) : null,
      ...(signal ? { signal } : {}),
    });
    if (report.mismatches.length > 0) {
      throw new BackupError(
        'integrity_error',
        `The test restore differs from the backup: ${report.mismatches.map((m) => `${m.name} (${m.reason})`).join(', ')}`,
        { details: { backup_id: backup.backup_id, mismatches: report.mismatches } },
      );
    }
    return {
      target: report.target,
      entries_restored: report.entries_restored,
      records_restored: report.records_restored,
      cleaned_up: report.cleaned_up,
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'backupkit-test-restore-'));
  try {
    const kind = context.sources.get('filesystem');
    const target = kind.createRestoreTarget({ type: 'filesystem', path: dir }, { overwrite_existing: true });
    await runRestore({ repository, manifest, target, signal });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return null;
}
