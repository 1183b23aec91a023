import { toBackupError } from '../errors.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { SourceKind } from '../sources/backup-source.js';
import { distinctChunkIds } from './checksum-check.js';
import { checkChunksStored, checkIntegrity, testRestore, totalUnits } from './content-checks.js';
import { buildDamageReport, DamageCollector } from './damage-report.js';
import { checkManifestObject, readManifestOrDamage } from './manifest-checks.js';
import { ProgressTracker } from './progress-tracker.js';
import { parseVerificationType, type VerificationMode } from './read-data-subset.js';
import type {
  DamagedObject,
  VerificationProgress,
  VerificationResult,
  VerifyBackupOptions,
} from './types.js';
import { emptyResult, type VerificationRun } from './verification-run.js';

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
  /** The job's source config with real secrets, for test restores (a database's connection string). */
  sourceConfig?: Record<string, unknown> | null;
  /** The kinds whose `testRestore` test-restores their backups (default: the built-in ones). */
  sourceKinds?: readonly SourceKind[];
  /** Parent of scratch directories for directory test restores (default: the OS temp dir). */
  scratchRoot?: string;
  onProgress?: (progress: VerificationProgress) => void;
  signal?: AbortSignal;
  /** Clock for `started_at` / `completed_at` (default: the system clock). */
  now?: () => Date;
}

/**
 * Verifies one stored backup and reports every damaged object precisely.
 *
 * - `checksum_verification`: the stored manifest hashes as the catalog recorded, and every
 *   chunk it references exists with the stored size and stored-bytes SHA-256 recorded at backup
 *   time (head(), then the store's SHA-256 or a streamed read; never decrypted).
 * - `integrity_check`: `full` reads every chunk (decrypt, authenticate, decompress, id re-check)
 *   and recomputes every entry's SHA-256; `NN%` reads the chunks of one rotating bucket;
 *   `quick` is checksums only.
 * - `test_restore` (not with `quick`): the backup's source kind restores it somewhere
 *   disposable (PostgreSQL: a test database; directories: a scratch directory), compares with
 *   the manifest and cleans up. Skipped when damage was already found (it could only fail on
 *   it again).
 *
 * Damage makes the status `failed`; anything that stopped a check from running (storage
 * unreachable, key missing, no test database) makes it `error`. Never throws except `aborted`.
 * @throws BackupError `aborted` when `signal` fires.
 */
export async function verifyBackupData(options: VerifyBackupDataOptions): Promise<VerificationResult> {
  const now = options.now ?? (() => new Date());
  const run: VerificationRun = {
    options,
    request: options.options,
    result: emptyResult(options.backupId, options.options.verification_type, now().toISOString()),
    damage: new DamageCollector(),
    progress: new ProgressTracker(options.onProgress),
    manifest: options.manifest ?? null,
    running: null,
  };
  try {
    await runChecks(run);
  } catch (thrown) {
    recordFailure(run, thrown);
  }
  if (run.damage.size > 0) await reportDamage(run);
  const { result } = run;
  result.checksum_verified = result.checks.checksum === 'passed';
  result.integrity_verified = result.checks.integrity === 'passed';
  result.test_restore_verified = result.checks.test_restore === 'passed';
  result.completed_at = now().toISOString();
  run.progress.phase('done');
  return result;
}

/** The manifest object, then the manifest's chunks and entries; damage is collected, errors thrown. */
async function runChecks(run: VerificationRun): Promise<void> {
  const { options, request, result } = run;
  const mode = parseVerificationType(request.verification_type);
  run.progress.phase('manifest');
  if (request.checksum_verification) {
    run.running = 'checksum';
    result.checks.checksum = 'passed';
    await checkManifestObject(options, result, run.damage);
  }
  run.manifest ??= await readManifestOrDamage(
    options.repository,
    options.backupId,
    run.damage,
    options.signal,
  );
  if (run.manifest) {
    await checkContent(run, run.manifest, mode);
  } else {
    if (request.integrity_check) result.checks.integrity = 'failed';
    if (request.checksum_verification) result.checks.checksum = 'failed';
  }
  run.running = null;
}

/** The checks of what the manifest references: chunk objects, chunk contents, a test restore. */
async function checkContent(run: VerificationRun, manifest: Manifest, mode: VerificationMode): Promise<void> {
  const { request } = run;
  const ids = distinctChunkIds(manifest);
  run.result.chunks_total = ids.length;
  run.progress.total = totalUnits(request, manifest, mode, ids);
  if (request.checksum_verification) await checkChunksStored(run, manifest);
  if (request.integrity_check && mode.kind !== 'quick') await checkIntegrity(run, manifest, mode);
  // A test restore could only fail again on damage already found.
  if (request.test_restore && mode.kind !== 'quick' && run.damage.size === 0)
    await testRestore(run, manifest);
}

/**
 * What stopped the checks: a damaged chunk met on the way (e.g. while test-restoring) is damage;
 * anything else makes the verification `error`.
 * @throws BackupError `aborted` when the signal fired.
 */
function recordFailure(run: VerificationRun, thrown: unknown): void {
  const { result, running } = run;
  if (run.options.signal?.aborted) throw toBackupError(thrown, 'aborted');
  const error = toBackupError(thrown);
  if (error.code === 'integrity_error' && typeof error.details?.chunk_id === 'string') {
    run.damage.add({
      kind: 'chunk',
      chunk_id: error.details.chunk_id,
      problem: error.details.missing === true ? 'missing' : 'corrupt',
      detail: error.message,
      found_by: running === 'test_restore' ? 'test_restore' : 'integrity',
    });
    if (running) result.checks[running] = 'failed';
    return;
  }
  if (running) result.checks[running] = 'error';
  result.status = 'error';
  result.error = {
    code: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  };
}

/** Names the damage found (and the backups sharing it) and fails the verification on it. */
async function reportDamage(run: VerificationRun): Promise<void> {
  const { result, damage } = run;
  run.progress.phase('damage_report');
  result.damaged = await damageReport(run);
  result.damaged_truncated = damage.truncated;
  if (result.status === 'error') return;
  result.status = 'failed';
  const first = result.damaged[0];
  result.error = {
    code: 'integrity_error',
    message: `${damage.size} damaged object(s)${first ? `, first: ${first.object} (${first.problem}): ${first.detail}` : ''}`,
    details: {
      backup_id: run.options.backupId,
      damaged_objects: damage.size,
      ...(first ? { first: { object: first.object, kind: first.kind, problem: first.problem } } : {}),
    },
  };
}

/** The damage report; without the cross-backup part when the other manifests cannot be read. */
async function damageReport(run: VerificationRun): Promise<DamagedObject[]> {
  const { repository, backupId, signal } = run.options;
  const report = { repository, manifest: run.manifest, backupId, findings: run.damage.findings, signal };
  try {
    return await buildDamageReport(report);
  } catch (thrown) {
    if (signal?.aborted) throw toBackupError(thrown, 'aborted');
    return buildDamageReport({ ...report, scanOtherBackups: false });
  }
}
