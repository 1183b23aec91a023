import type { EventEmitter } from 'eventemitter3';
import type { DestinationConfig } from '../storage/storage-driver.js';
import type { BackupServiceEvents } from './events.js';

/** Who is calling. The HTTP adapter fills it from its `authenticate` hook. */
export interface CallContext {
  /** Principal id; fills `created_by` / `executed_by` (a body field cannot override it). */
  principal?: string | null;
}

/** JSON-shaped view objects, exactly as the spec's responses show them (secrets masked). */
export type View = Record<string, unknown>;

/**
 * The backup service: the spec's operations as methods. Inputs are validated with the zod
 * schemas exported from core (invalid input: `BackupError('validation_failed')` listing every
 * issue, nothing written). Every method throws `BackupError`.
 */
export interface BackupService extends EventEmitter<BackupServiceEvents> {
  createJob(input: unknown, context?: CallContext): Promise<View>;
  getJob(jobId: string, context?: CallContext): Promise<View>;
  listJobs(query?: unknown, context?: CallContext): Promise<View>;
  updateJob(jobId: string, patch: unknown, context?: CallContext): Promise<View>;
  deleteJob(jobId: string, context?: CallContext): Promise<void>;
  /** Queues a run and returns at once (status `running` or `queued`); the run goes on in the background. */
  executeJob(jobId: string, input?: unknown, context?: CallContext): Promise<View>;
  getJobStatus(jobId: string, query?: { execution_id?: string }, context?: CallContext): Promise<View>;
  listExecutions(jobId: string, query?: unknown, context?: CallContext): Promise<View>;
  cancelExecution(executionId: string, context?: CallContext): Promise<View>;
  listBackups(query?: unknown, context?: CallContext): Promise<View>;
  createRestore(input: unknown, context?: CallContext): Promise<View>;
  getRestoreStatus(restoreId: string, context?: CallContext): Promise<View>;
  verifyBackup(backupId: string, input?: unknown, context?: CallContext): Promise<View>;
  getVerification(verificationId: string, context?: CallContext): Promise<View>;
  getAnalytics(query?: unknown, context?: CallContext): Promise<View>;
  applyRetention(jobId: string, options?: { dry_run?: boolean }, context?: CallContext): Promise<View>;
  health(): Promise<View>;
  /** Resolves when the execution / restore / verification reaches a final state; returns its status view. */
  waitFor(id: string, options?: { timeoutMs?: number }): Promise<View>;
  /**
   * Adds to the catalog every committed backup that storage has and the catalog lacks (from the
   * `recoveryDestinations` option, every job's destination and `destinations`): the catalog rebuilt
   * from storage alone. Idempotent. Returns `{ inserted, jobs_created, skipped, unreachable }`.
   */
  rebuildCatalog?(options?: { destinations?: DestinationConfig[] }): Promise<View>;
  /** Starts the scheduler. */
  start(): Promise<void>;
  /** Stops the scheduler; waits for running work (or cancels it with `{ cancelRunning: true }`). */
  stop(options?: { cancelRunning?: boolean }): Promise<void>;
}
