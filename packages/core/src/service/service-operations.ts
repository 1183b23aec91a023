import type { AnalyticsAggregates } from '../catalog/catalog-repository.js';
import { BackupError } from '../errors.js';
import type { Scheduler } from '../schedule/scheduler.js';
import { newId } from '../util/ids.js';
import { analyticsView, DEFAULT_STORAGE_PRICES } from './analytics.js';
import type { CallContext, WaitForResult } from './backup-service.js';
import { loadJob } from './job-operations.js';
import {
  executionNotFound,
  recordVisible,
  restoreNotFound,
  restoreVisible,
  type Scope,
  scopeOf,
  verificationNotFound,
  verificationVisible,
} from './ownership.js';
import { loadBackup, prepareRestore, runRestoreJob } from './restore-operations.js';
import { applyRetentionPolicy } from './retention-operations.js';
import { listExecutionsQuerySchema } from './schemas/execute.js';
import { analyticsQuerySchema, listBackupsQuerySchema } from './schemas/queries.js';
import { verifyBackupSchema } from './schemas/verify.js';
import type {
  AnalyticsView,
  BackupFileList,
  ExecutionList,
  ExecutionView,
  HealthView,
  JobStatusView,
  RestoreStatusView,
  RestoreView,
  RetentionResult,
  VerificationView,
} from './schemas/views/index.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { recoverFromStorage } from './storage-recovery.js';
import { parseInput } from './validate.js';
import { verifyStoredBackup } from './verification-runner.js';
import {
  backupFileView,
  durationSeconds,
  executionView,
  jobStatusView,
  restoreStatusView,
  restoreView,
  verificationView,
} from './views.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'passed', 'error']);

/** Analytics of nothing (fresh each time: views hand parts of it out): a principal-less scoped call's. */
const noAggregates = (): AnalyticsAggregates => ({
  overview: {
    total_jobs: 0,
    active_jobs: 0,
    total_backups: 0,
    successful_backups: 0,
    failed_backups: 0,
    total_restores: 0,
    successful_restores: 0,
    failed_restores: 0,
    total_storage_used: 0,
    average_backup_size: 0,
  },
  job_breakdown: [],
  backup_types: [],
  storage_breakdown: [],
  time_series: [],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The service's read and background operations besides jobs and execution start. Each takes the
 * caller's `CallContext`: what it may not see answers as unknown (see ownership.ts).
 */
export class ServiceOperations {
  readonly #context: () => ServiceContext;
  readonly #scheduler: Scheduler;
  readonly #prices: Record<string, Record<string, number>>;
  #recovered: Promise<void> | null = null;

  constructor(
    context: () => ServiceContext,
    scheduler: Scheduler,
    prices?: Record<string, Record<string, number>>,
  ) {
    this.#context = context;
    this.#scheduler = scheduler;
    this.#prices = prices ?? DEFAULT_STORAGE_PRICES;
  }

  /** @throws BackupError `execution_not_found` for unknown executions and those `scope` does not cover. */
  async #execution(executionId: string, scope: Scope) {
    const context = this.#context();
    const execution =
      typeof executionId === 'string' && scope.kind !== 'none'
        ? await context.catalog.getExecution(executionId)
        : null;
    if (!execution || !(await recordVisible(context, scope, execution))) throw executionNotFound(executionId);
    return execution;
  }

  /** The job status (`GET /backup/jobs/{job_id}/status`) for one execution (default: the latest). */
  async jobStatus(jobId: string, executionId: string | undefined, call: CallContext): Promise<JobStatusView> {
    const context = this.#context();
    const { catalog } = context;
    const job = await loadJob(context, jobId, call);
    const execution = executionId
      ? await this.#execution(executionId, scopeOf(call))
      : await catalog.latestExecution(jobId);
    if (execution && execution.job_id !== jobId) throw executionNotFound(executionId);
    const backup = execution?.backup_id ? await catalog.getBackup(execution.backup_id) : null;
    const verification = backup ? await catalog.latestVerification(backup.backup_id) : null;
    return jobStatusView(job, execution, backup, verification, nowIso(context));
  }

  async listExecutions(jobId: string, queryInput: unknown, call: CallContext): Promise<ExecutionList> {
    const context = this.#context();
    await loadJob(context, jobId, call);
    const query = parseInput(listExecutionsQuerySchema, queryInput ?? {});
    const page = await context.catalog.listExecutions({
      job_id: jobId,
      ...(query.status ? { status: [query.status] } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    return {
      executions: page.items.map(executionView),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  /**
   * Cancels a queued execution (whoever queued it) or one running on this instance: nothing of it
   * is committed. An execution running on another instance is not reachable from here (`conflict`).
   * @throws BackupError `execution_not_found` (also for one `call` may not see), `conflict` when it
   * already ended or runs on another instance.
   */
  async cancelExecution(executionId: string, call: CallContext): Promise<ExecutionView> {
    const context = this.#context();
    const scope = scopeOf(call);
    const execution = await this.#execution(executionId, scope);
    if (FINAL.has(execution.status)) {
      throw new BackupError('conflict', `The execution already ended (${execution.status})`, {
        details: { execution_id: executionId, status: execution.status },
      });
    }
    if (execution.status === 'queued') {
      // If an instance claims it meanwhile, its next lease renewal sees `cancelled` and aborts the run.
      const cancelled = await context.catalog.updateExecution(executionId, {
        status: 'cancelled',
        completed_at: nowIso(context),
        lease_expires_at: null,
        error: { code: 'aborted', message: 'The execution was cancelled before it started' },
      });
      return executionView(cancelled);
    }
    if (!this.#scheduler.abort(executionId)) {
      throw new BackupError('conflict', 'The execution runs on another instance', {
        details: { execution_id: executionId, owner: execution.owner },
      });
    }
    await this.#scheduler.settled(executionId);
    return executionView(await this.#execution(executionId, scope));
  }

  /** Backups newest first; a principal without `admin` lists (and counts) only its jobs' backups. */
  async listBackups(queryInput: unknown, call: CallContext): Promise<BackupFileList> {
    const query = parseInput(listBackupsQuerySchema, queryInput ?? {});
    const scope = scopeOf(call);
    // Once per instance: backups committed in the `recoveryDestinations` that the catalog lacks (a
    // lost catalog) are added, so listings work from storage alone.
    this.#recovered ??= recoverFromStorage(this.#context(), { jobDestinations: false }).then(
      () => {},
      (error: unknown) => {
        this.#recovered = null;
        this.#context().logger.warn('Catalog recovery from storage failed', { error: String(error) });
      },
    );
    await this.#recovered;
    const status = query.status ?? 'completed';
    const owner = scope.kind === 'owner' ? { owner: scope.owner } : {};
    const page =
      scope.kind === 'none'
        ? { items: [], total: 0 }
        : await this.#context().catalog.listBackups({ ...query, status, ...owner });
    const filters: Record<string, string> = {};
    for (const key of ['job_id', 'backup_type', 'date_from', 'date_to'] as const) {
      const value = query[key];
      if (value !== undefined) filters[key] = value;
    }
    filters.status = status;
    return {
      files: page.items.map(backupFileView),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
      filters,
    };
  }

  async createRestore(input: unknown, call: CallContext): Promise<RestoreView> {
    const context = this.#context();
    const { record } = await prepareRestore(context, input, call);
    context.tracker.start(record.restore_id, (signal) =>
      runRestoreJob(this.#context(), record.restore_id, signal),
    );
    return restoreView(record);
  }

  /** @throws BackupError `restore_not_found` for unknown restores and those `call` may not see. */
  async restoreStatus(restoreId: string, call: CallContext): Promise<RestoreStatusView> {
    const context = this.#context();
    const scope = scopeOf(call);
    const restore =
      typeof restoreId === 'string' && scope.kind !== 'none'
        ? await context.catalog.getRestore(restoreId)
        : null;
    if (!restore || !(await restoreVisible(context, scope, restore))) throw restoreNotFound(restoreId);
    return restoreStatusView(restore, nowIso(context));
  }

  /** Records a verification and runs it in the background; returns it as `running`. */
  async verifyBackup(backupId: string, input: unknown, call: CallContext): Promise<VerificationView> {
    const context = this.#context();
    const request = parseInput(verifyBackupSchema, input ?? {});
    const backup = await loadBackup(context, backupId, call);
    const sourceType = String(backup.metadata.source_type ?? '');
    if (request.test_restore && !context.sources.find(sourceType)?.testRestore) {
      throw new BackupError(
        'not_implemented',
        `Test restores of ${sourceType || 'these'} backups are not implemented`,
        {
          details: { backup_id: backupId },
        },
      );
    }
    const now = nowIso(context);
    const verificationId = newId('verify');
    // As long as the last verification of this backup of the same type took; unknown else,
    // until the run has measured its pace.
    const previous = await context.catalog.latestVerification(backupId);
    const seconds =
      previous?.verification_type === request.verification_type && previous.status !== 'error'
        ? durationSeconds(previous.started_at, previous.completed_at)
        : null;
    const estimate =
      seconds === null ? null : new Date(Date.parse(now) + Math.max(1, seconds) * 1000).toISOString();
    // Beyond the instance's verification slots it waits `queued` (the runner marks it running).
    const slots = context.access.verificationSlots;
    await context.catalog.insertVerification({
      verification_id: verificationId,
      backup_id: backupId,
      verification_type: request.verification_type,
      status: slots.free ? 'running' : 'queued',
      progress: 0,
      created_at: now,
      started_at: slots.free ? now : null,
      completed_at: null,
      estimated_completion: estimate,
      checksum_verification: request.checksum_verification,
      integrity_check: request.integrity_check,
      test_restore: request.test_restore,
      test_restore_options: request.test_restore_options ?? null,
      result: null,
      error: null,
      requested_by: call.principal ?? null,
    });
    context.tracker.start(verificationId, async (signal) => {
      try {
        await slots.acquire(signal);
      } catch {
        await context.catalog.updateVerification(verificationId, {
          status: 'error',
          completed_at: nowIso(context),
          error: 'aborted: The verification was cancelled before it started',
        });
        return;
      }
      try {
        await verifyStoredBackup(this.#context(), backup, {
          ...request,
          requested_by: call.principal ?? null,
          signal,
          verificationId,
        });
      } finally {
        slots.release();
      }
    });
    return verificationView((await context.catalog.getVerification(verificationId))!);
  }

  /** @throws BackupError `verification_not_found` for unknown verifications and those `call` may not see. */
  async verification(verificationId: string, call: CallContext): Promise<VerificationView> {
    const context = this.#context();
    const scope = scopeOf(call);
    const record =
      typeof verificationId === 'string' && scope.kind !== 'none'
        ? await context.catalog.getVerification(verificationId)
        : null;
    if (!record || !(await verificationVisible(context, scope, record))) {
      throw verificationNotFound(verificationId);
    }
    return verificationView(record);
  }

  /** A principal without `admin` gets every figure over its own jobs only. */
  async analytics(queryInput: unknown, call: CallContext): Promise<AnalyticsView> {
    const context = this.#context();
    const query = parseInput(analyticsQuerySchema, queryInput ?? {});
    const scope = scopeOf(call);
    const aggregates =
      scope.kind === 'none'
        ? noAggregates()
        : await context.catalog.analytics({
            ...query,
            ...(scope.kind === 'owner' ? { owner: scope.owner } : {}),
          });
    return analyticsView(aggregates, nowIso(context), this.#prices);
  }

  /** See `applyRetentionPolicy`. */
  applyRetention(jobId: string, options: unknown, call: CallContext): Promise<RetentionResult> {
    return applyRetentionPolicy(this.#context(), jobId, options, call);
  }

  async health(): Promise<HealthView> {
    const context = this.#context();
    const running = await context.catalog.listExecutions({ status: ['running'], limit: 1, offset: 0 });
    return {
      status: 'ok',
      instance_id: context.instanceId,
      running_executions: running.total,
      active_work: context.tracker.size,
      time: nowIso(context),
    };
  }

  /** Polls (and awaits local work) until the execution, restore or verification ends. */
  async waitFor(id: string, timeoutMs = 600_000, call: CallContext = {}): Promise<WaitForResult> {
    const context = this.#context();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.#statusOf(id, call);
      if (FINAL.has(String(view.status))) return view;
      if (Date.now() > deadline) {
        throw new BackupError('unavailable', `Timed out waiting for ${id}`, {
          details: { id, status: view.status },
        });
      }
      await Promise.race([context.tracker.has(id) ? context.tracker.settled(id) : sleep(100), sleep(250)]);
    }
  }

  async #statusOf(id: string, call: CallContext): Promise<WaitForResult> {
    if (id.startsWith('exec_')) {
      const execution = await this.#execution(id, scopeOf(call));
      return this.jobStatus(execution.job_id, id, call);
    }
    if (id.startsWith('restore_')) return this.restoreStatus(id, call);
    if (id.startsWith('verify_')) return this.verification(id, call);
    throw new BackupError('invalid_request', 'waitFor takes an execution, restore or verification id', {
      details: { id },
    });
  }
}
