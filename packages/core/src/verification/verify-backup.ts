import { isBackupError, toBackupError } from '../errors.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { checkChunkObjects, distinctChunkIds, storedManifestChecksum } from './checksum-check.js';
import { buildDamageReport, DamageCollector } from './damage-report.js';
import { checkAllEntries, checkChunkSubset } from './integrity-check.js';
import { bucketCount, parseVerificationType } from './read-data-subset.js';
import { runTestRestore } from './test-restore.js';
import type { VerificationProgress, VerificationResult, VerifyBackupOptions } from './types.js';

export interface VerifyBackupDataOptions {
  repository: Repository;
  backupId: string;
  /** The manifest when the caller has it already (right after a backup); read from storage otherwise. */
  manifest?: Manifest;
  /** `sha256:<hex>` the catalog recorded for the stored manifest; compared by checksum verification. */
  expectedChecksum?: string | null;
  options: VerifyBackupOptions;
  /** Which bucket a `NN%` verification reads (see `nextReadDataBucket`); default 0. */
  readDataBucket?: number;
  /** The job's source config with real secrets, for PostgreSQL test restores. */
  sourceConfig?: Record<string, unknown> | null;
  /** Parent of scratch directories for directory test restores (default: the OS temp dir). */
  scratchRoot?: string;
  onProgress?: (progress: VerificationProgress) => void;
  signal?: AbortSignal;
  /** Clock for `started_at` / `completed_at` (default: the system clock). */
  now?: () => Date;
}

/** Weight of checking one chunk object (a head() call) against reading plaintext bytes. */
const HEAD_UNITS = 64 * 1024;

/**
 * Verifies one stored backup and reports every damaged object precisely.
 *
 * - `checksum_verification`: the stored manifest hashes as the catalog recorded, and every
 *   chunk it references exists with the stored size and stored-bytes SHA-256 recorded at backup
 *   time (head(), then the store's SHA-256 or a streamed read; never decrypted).
 * - `integrity_check`: `full` reads every chunk (decrypt, authenticate, decompress, id re-check)
 *   and recomputes every entry's SHA-256; `NN%` reads the chunks of one rotating bucket;
 *   `quick` is checksums only.
 * - `test_restore` (not with `quick`): PostgreSQL into a test database, directories into a
 *   scratch directory, compared with the manifest and cleaned up. Skipped when damage was
 *   already found (it could only fail on it again).
 *
 * Damage makes the status `failed`; anything that stopped a check from running (storage
 * unreachable, key missing, no test database) makes it `error`. Never throws except `aborted`.
 * @throws BackupError `aborted` when `signal` fires.
 */
export async function verifyBackupData(options: VerifyBackupDataOptions): Promise<VerificationResult> {
  const { repository, backupId, signal } = options;
  const now = options.now ?? (() => new Date());
  const request = options.options;
  const startedAt = now().toISOString();
  const damage = new DamageCollector();
  const result: VerificationResult = {
    backup_id: backupId,
    status: 'passed',
    verification_type: request.verification_type,
    checksum_verified: false,
    integrity_verified: false,
    test_restore_verified: false,
    checks: { checksum: 'skipped', integrity: 'skipped', test_restore: 'skipped' },
    manifest_checksum: null,
    chunks_total: 0,
    chunks_checked: 0,
    chunks_read: 0,
    bytes_read: 0,
    entries_verified: 0,
    read_data: null,
    damaged: [],
    damaged_truncated: false,
    test_restore: null,
    error: null,
    started_at: startedAt,
    completed_at: startedAt,
  };
  let manifest: Manifest | null = options.manifest ?? null;
  let running: keyof VerificationResult['checks'] | null = null;
  const progress = new ProgressTracker(options.onProgress);
  try {
    const mode = parseVerificationType(request.verification_type);
    progress.phase('manifest');
    if (request.checksum_verification) {
      running = 'checksum';
      result.checks.checksum = 'passed';
      await checkManifestObject(options, result, damage);
    }
    if (!manifest) manifest = await readManifestOrDamage(repository, backupId, damage, signal);
    if (!manifest) {
      if (request.integrity_check) result.checks.integrity = 'failed';
      if (request.checksum_verification) result.checks.checksum = 'failed';
    } else {
      const ids = distinctChunkIds(manifest);
      result.chunks_total = ids.length;
      const buckets = mode.kind === 'subset' ? bucketCount(mode.percent) : 1;
      const integrityBytes =
        mode.kind === 'full'
          ? manifest.totals.logical_bytes
          : mode.kind === 'subset'
            ? manifest.totals.logical_bytes / buckets
            : 0;
      progress.total =
        (request.checksum_verification ? ids.length * HEAD_UNITS : 0) +
        (request.integrity_check ? integrityBytes : 0) +
        (request.test_restore && mode.kind !== 'quick' ? manifest.totals.logical_bytes : 0);

      if (request.checksum_verification) {
        running = 'checksum';
        progress.phase('checksum');
        const before = damage.size;
        const base = progress.done;
        const { checked } = await checkChunkObjects({
          repository,
          manifest,
          damage,
          signal,
          onChecked: (done) => progress.set(base + done * HEAD_UNITS),
        });
        result.chunks_checked = checked;
        if (damage.size > before) result.checks.checksum = 'failed';
      }
      if (request.integrity_check && mode.kind !== 'quick') {
        running = 'integrity';
        progress.phase('integrity');
        const before = damage.size;
        const onBytes = (n: number) => progress.add(n);
        if (mode.kind === 'full') {
          const totals = await checkAllEntries({ repository, manifest, damage, signal, onBytes });
          result.chunks_read = totals.chunksRead;
          result.bytes_read = totals.bytesRead;
          result.entries_verified = totals.entriesVerified;
        } else {
          const bucket = options.readDataBucket ?? 0;
          const totals = await checkChunkSubset({
            repository,
            manifest,
            damage,
            signal,
            onBytes,
            bucket,
            buckets,
          });
          result.chunks_read = totals.chunksRead;
          result.bytes_read = totals.bytesRead;
          result.read_data = { percent: mode.percent, buckets, bucket, chunks: totals.selected };
        }
        result.checks.integrity = damage.size > before ? 'failed' : 'passed';
      }
      if (request.test_restore && mode.kind !== 'quick' && damage.size === 0) {
        running = 'test_restore';
        progress.phase('test_restore');
        const base = progress.done;
        const report = await runTestRestore({
          repository,
          manifest,
          options: request.test_restore_options ?? {},
          sourceConfig: options.sourceConfig,
          scratchRoot: options.scratchRoot,
          signal,
          onBytes: (bytes) => progress.set(base + bytes),
        });
        result.test_restore = report;
        for (const m of report.mismatches) {
          damage.add({
            kind: 'entry',
            entry: m.name,
            problem: 'restore_mismatch',
            detail: `Test restore of "${m.name}": ${m.reason}`,
            found_by: 'test_restore',
          });
        }
        result.checks.test_restore = report.mismatches.length > 0 ? 'failed' : 'passed';
      }
    }
    running = null;
  } catch (thrown) {
    if (signal?.aborted) throw toBackupError(thrown, 'aborted');
    const error = toBackupError(thrown);
    if (error.code === 'integrity_error' && typeof error.details?.chunk_id === 'string') {
      // A damaged chunk met outside the checks proper (e.g. while test-restoring).
      damage.add({
        kind: 'chunk',
        chunk_id: error.details.chunk_id,
        problem: error.details.missing === true ? 'missing' : 'corrupt',
        detail: error.message,
        found_by: running === 'test_restore' ? 'test_restore' : 'integrity',
      });
      if (running) result.checks[running] = 'failed';
    } else {
      if (running) result.checks[running] = 'error';
      result.status = 'error';
      result.error = {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      };
    }
  }

  if (damage.size > 0) {
    progress.phase('damage_report');
    try {
      result.damaged = await buildDamageReport({
        repository,
        manifest,
        backupId,
        findings: damage.findings,
        signal,
      });
    } catch (thrown) {
      if (signal?.aborted) throw toBackupError(thrown, 'aborted');
      // Still name the damage, without the cross-backup part.
      result.damaged = await buildDamageReport({
        repository,
        manifest,
        backupId,
        findings: damage.findings,
        scanOtherBackups: false,
        signal,
      });
    }
    result.damaged_truncated = damage.truncated;
    if (result.status !== 'error') {
      result.status = 'failed';
      const first = result.damaged[0];
      result.error = {
        code: 'integrity_error',
        message: `${damage.size} damaged object(s)${first ? `, first: ${first.object} (${first.problem}): ${first.detail}` : ''}`,
      };
    }
  }
  result.checksum_verified = result.checks.checksum === 'passed';
  result.integrity_verified = result.checks.integrity === 'passed';
  result.test_restore_verified = result.checks.test_restore === 'passed';
  result.completed_at = now().toISOString();
  progress.phase('done');
  return result;
}

async function checkManifestObject(
  options: VerifyBackupDataOptions,
  result: VerificationResult,
  damage: DamageCollector,
): Promise<void> {
  const key = snapshotKey(options.backupId);
  try {
    result.manifest_checksum = await storedManifestChecksum(
      options.repository,
      options.backupId,
      options.signal,
    );
  } catch (error) {
    if (!isBackupError(error, 'not_found')) throw error;
    damage.add({
      kind: 'manifest',
      key,
      problem: 'missing',
      detail: `The manifest of backup ${options.backupId} is missing`,
      found_by: 'checksum',
    });
    result.checks.checksum = 'failed';
    return;
  }
  if (options.expectedChecksum && options.expectedChecksum !== result.manifest_checksum) {
    damage.add({
      kind: 'manifest',
      key,
      problem: 'manifest_checksum_mismatch',
      detail: `The stored manifest hashes to ${result.manifest_checksum}, the catalog recorded ${options.expectedChecksum}`,
      found_by: 'checksum',
    });
    result.checks.checksum = 'failed';
  }
}

/** Reads the manifest; a missing or unreadable one is damage (returns null), not an error. */
async function readManifestOrDamage(
  repository: Repository,
  backupId: string,
  damage: DamageCollector,
  signal?: AbortSignal,
): Promise<Manifest | null> {
  try {
    return await repository.readManifest(backupId, { signal });
  } catch (error) {
    const key = snapshotKey(backupId);
    if (isBackupError(error, 'backup_not_found')) {
      damage.add({ kind: 'manifest', key, problem: 'missing', detail: error.message, found_by: 'integrity' });
      return null;
    }
    if (isBackupError(error, 'integrity_error') || isBackupError(error, 'unsupported_format')) {
      damage.add({
        kind: 'manifest',
        key,
        problem: 'manifest_unreadable',
        detail: error.message,
        found_by: 'integrity',
      });
      return null;
    }
    throw error;
  }
}

class ProgressTracker {
  readonly #emit?: (progress: VerificationProgress) => void;
  #phase: VerificationProgress['phase'] = 'manifest';
  total = 0;
  done = 0;
  #last = -1;

  constructor(emit?: (progress: VerificationProgress) => void) {
    this.#emit = emit;
  }

  phase(phase: VerificationProgress['phase']): void {
    this.#phase = phase;
    this.#report(true);
  }

  add(units: number): void {
    this.set(this.done + units);
  }

  set(units: number): void {
    this.done = Math.max(this.done, units);
    this.#report(false);
  }

  #report(force: boolean): void {
    if (!this.#emit) return;
    const percent =
      this.#phase === 'done'
        ? 100
        : this.total > 0
          ? Math.min(99, Math.floor((this.done / this.total) * 100))
          : 0;
    if (!force && percent === this.#last) return;
    this.#last = percent;
    this.#emit({ phase: this.#phase, progress: percent, units_done: this.done, units_total: this.total });
  }
}
