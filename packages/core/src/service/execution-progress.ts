import type { BackupProgress } from '../engine/progress.js';
import { parseVerificationType } from '../verification/read-data-subset.js';
import type { ProgressReporter, ProgressUpdate } from './progress-reporter.js';

/*
 * A verification's passes against the backup before them, per byte backed up. Measured on the
 * benchmark dataset (995 MB, local storage, 2 cores): the backup took 17.9 s, the checksum
 * pass (every chunk object's stored bytes hashed) 2.0 s, the integrity pass (every chunk read,
 * decrypted, decompressed, checked) 6.6 s, a restore with its index builds 43 s.
 */
const CHECKSUM_WEIGHT = 0.1;
const INTEGRITY_WEIGHT = 0.4;
const TEST_RESTORE_WEIGHT = 2.4;

/**
 * What the verification a job runs after each backup costs, per byte backed up (0 when none
 * runs): integrity checks read the share of the data their type reads, checksum checks look at
 * every chunk object, a test restore loads it all again.
 */
export function verificationWeight(verification: Record<string, unknown>, skipped: boolean): number {
  if (verification.enabled !== true || skipped) return 0;
  const type = typeof verification.verification_type === 'string' ? verification.verification_type : 'full';
  let mode: ReturnType<typeof parseVerificationType>;
  try {
    mode = parseVerificationType(type);
  } catch {
    return 0; // the verification itself reports the bad type, at once
  }
  let weight = verification.checksum_verification !== false ? CHECKSUM_WEIGHT : 0;
  if (verification.integrity_check !== false && mode.kind !== 'quick') {
    weight += INTEGRITY_WEIGHT * (mode.kind === 'full' ? 1 : mode.percent / 100);
  }
  if (verification.test_restore === true && mode.kind !== 'quick') weight += TEST_RESTORE_WEIGHT;
  return weight;
}

/**
 * An execution's progress over its backup and the verification that follows it: the backup
 * takes the first `1 / (1 + weight)` of the way, the verification the rest. While the backup
 * runs, the ETA adds the verification at the backup's measured pace; once the verification
 * runs, its own ETA is the execution's.
 */
export class ExecutionProgress {
  readonly #reporter: ProgressReporter;
  readonly #share: number;
  #bytes = { done: 0, total: 0 };
  /** The ETA the backup last projected, verification included. */
  #projected: number | null = null;

  constructor(reporter: ProgressReporter, verificationWeight: number) {
    this.#reporter = reporter;
    this.#share = 1 / (1 + Math.max(0, verificationWeight));
  }

  backup(progress: BackupProgress): void {
    this.#bytes = { done: progress.bytesDone, total: progress.bytesEstimated };
    let eta = progress.estimatedCompletionAt;
    if (eta && this.#share < 1) {
      const startedAt = Date.now() - progress.elapsedMs;
      const backupMs = eta.getTime() - startedAt;
      eta = new Date(eta.getTime() + (backupMs * (1 - this.#share)) / this.#share);
    }
    this.#projected = eta?.getTime() ?? this.#projected;
    this.#reporter.report({
      progress: Math.min(99, Math.floor(progress.percent * this.#share)),
      bytes_done: progress.bytesDone,
      bytes_total: progress.bytesEstimated,
      estimated_completion: this.#projected === null ? null : new Date(this.#projected).toISOString(),
    });
  }

  verification(update: ProgressUpdate): void {
    const done = 100 * this.#share + update.progress * (1 - this.#share);
    this.#reporter.report({
      progress: Math.min(99, Math.floor(done)),
      bytes_done: this.#bytes.done,
      bytes_total: this.#bytes.total,
      estimated_completion: this.#verificationEta(update),
    });
  }

  /**
   * The verification's own ETA, trusted as far as it has gone: its first moments (opening
   * storage, the first chunks) say little about its pace, so until it ends the projection
   * from the backup keeps the rest of the weight.
   */
  #verificationEta(update: ProgressUpdate): string | null {
    const own = update.estimated_completion ? Date.parse(update.estimated_completion) : null;
    if (own === null || this.#projected === null) {
      const either = own ?? this.#projected;
      return either === null ? null : new Date(either).toISOString();
    }
    const trust = Math.min(1, Math.max(0, update.progress / 100));
    const blended = this.#projected + (own - this.#projected) * trust;
    // A projection already behind us is no estimate: the work is still going on.
    return new Date(Math.max(blended, Math.min(own, Date.now()))).toISOString();
  }
}
