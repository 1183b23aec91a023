import { BackupError } from '../errors.js';
import type { Scheduler } from '../schedule/scheduler.js';
import { newId } from '../util/ids.js';
import { supportsTestRestore } from '../verification/test-restore.js';
import { analyticsView, DEFAULT_STORAGE_PRICES } from './analytics.js';
import type { CallContext, View } from './backup-service.js';
import { loadJob } from './job-operations.js';
import { loadBackup, prepareRestore, runRestoreJob } from './restore-operations.js';
import { applyRetentionPolicy } from './retention-operations.js';
import { listExecutionsQuerySchema } from './schemas/execute.js';
import { analyticsQuerySchema, listBackupsQuerySchema } from './schemas/queries.js';
import { verifyBackupSchema } from './schemas/verify.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { recoverFromStorage } from './storage-recovery.js';
import { parseInput } from './validate.js';
import { verifyStoredBackup } from './verification-runner.js';
import {
  backupFileView,
  executionView,
  jobStatusView,
  restoreStatusView,
  restoreView,
  verificationView,
} from './views.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'passed', 'error']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The service's read and background operations besides jobs and execution start. */
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

  async #execution(executionId: string) {
    const execution =
      typeof executionId === 'string' ? await this.#context().catalog.getExecution(executionId) : null;
    if (!execution) {
      throw new BackupError('execution_not_found', 'Execution not found', {
        details: { execution_id: executionId },
      });
    }
    return execution;
  }

  /** The spec's job status for one execution (default: the latest). */
  async jobStatus(jobId: string, executionId?: string): Promise<View> {
    const context = this.#context();
    const { catalog } = context;
    const job = await loadJob(context, jobId);
    const execution = executionId ? await this.#execution(executionId) : await catalog.latestExecution(jobId);
    if (execution && execution.job_id !== jobId) {
      throw new BackupError('execution_not_found', 'Execution not found', {
        details: { execution_id: executionId },
      });
    }
    const backup = execution?.backup_id ? await catalog.getBackup(execution.backup_id) : null;
    const verification = backup ? await catalog.latestVerification(backup.backup_id) : null;
    return jobStatusView(job, execution, backup, verification, nowIso(context));
  }

  async listExecutions(jobId: string, queryInput: unknown): Promise<View> {
    const context = this.#context();
    await loadJob(context, jobId);
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
   * @throws BackupError `execution_not_found`, `conflict` when it already ended or runs on another instance.
   */
  async cancelExecution(executionId: string): Promise<View> {
    const context = this.#context();
    const execution = await this.#execution(executionId);
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
    return executionView(await this.#execution(executionId));
  }

  async listBackups(queryInput: unknown): Promise<View> {
    const query = parseInput(listBackupsQuerySchema, queryInput ?? {});
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
    const page = await this.#context().catalog.listBackups({ ...query, status });
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

  async createRestore(input: unknown, call: CallContext): Promise<View> {
    const context = this.#context();
    const { record } = await prepareRestore(context, input, call);
    context.tracker.start(record.restore_id, (signal) =>
      runRestoreJob(this.#context(), record.restore_id, signal),
    );
    return restoreView(record);
  }

  async restoreStatus(restoreId: string): Promise<View> {
    const context = this.#context();
    const restore = typeof restoreId === 'string' ? await context.catalog.getRestore(restoreId) : null;
    if (!restore)
      throw new BackupError('restore_not_found', 'Restore not found', { details: { restore_id: restoreId } });
    return restoreStatusView(restore, nowIso(context));
  }

  /** Records a verification and runs it in the background; returns the spec's `running` response. */
  async verifyBackup(backupId: string, input: unknown, call: CallContext): Promise<View> {
    const context = this.#context();
    const request = parseInput(verifyBackupSchema, input ?? {});
    const backup = await loadBackup(context, backupId);
    const sourceType = String(backup.metadata.source_type ?? '');
    if (request.test_restore && !supportsTestRestore(sourceType)) {
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
    const previous = await context.catalog.listBackups({
      job_id: backup.job_id,
      status: 'completed',
      limit: 1,
      offset: 0,
    });
    const estimate = previous.items[0]
      ? new Date(Date.parse(now) + Math.max(1, backup.duration) * 1000).toISOString()
      : null;
    await context.catalog.insertVerification({
      verification_id: verificationId,
      backup_id: backupId,
      verification_type: request.verification_type,
      status: 'running',
      progress: 0,
      created_at: now,
      started_at: now,
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
      await verifyStoredBackup(this.#context(), backup, {
        ...request,
        requested_by: call.principal ?? null,
        signal,
        verificationId,
      });
    });
    return verificationView((await context.catalog.getVerification(verificationId))!);
  }

  async verification(verificationId: string): Promise<View> {
    const record =
      typeof verificationId === 'string'
        ? await this.#context().catalog.getVerification(verificationId)
        : null;
    if (!record) {
      throw new BackupError('verification_not_found', 'Verification not found', {
        details: { verification_id: verificationId },
      });
    }
    return verificationView(record);
  }

  async analytics(queryInput: unknown): Promise<View> {
    const context = this.#context();
    const query = parseInput(analyticsQuerySchema, queryInput ?? {});
    const aggregates = await context.catalog.analytics(query);
    return analyticsView(aggregates, nowIso(context), this.#prices);
  }

  /** See `applyRetentionPolicy`. */
  applyRetention(jobId: string, options: unknown): Promise<View> {
    return applyRetentionPolicy(this.#context(), jobId, options);
  }

  async health(): Promise<View> {
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
  async waitFor(id: string, timeoutMs = 600_000): Promise<View> {
    const context = this.#context();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.#statusOf(id);
      if (FINAL.has(String(view.status))) return view;
      if (Date.now() > deadline) {
        throw new BackupError('unavailable', `Timed out waiting for ${id}`, {
          details: { id, status: view.status },
        });
      }
      await Promise.race([context.tracker.has(id) ? context.tracker.settled(id) : sleep(100), sleep(250)]);
    }
  }

  async #statusOf(id: string): Promise<View> {
    if (id.startsWith('exec_')) {
      const execution = await this.#execution(id);
      return this.jobStatus(execution.job_id, id);
    }
    if (id.startsWith('restore_')) return this.restoreStatus(id);
    if (id.startsWith('verify_')) return this.verification(id);
    throw new BackupError('invalid_request', 'waitFor takes an execution, restore or verification id', {
      details: { id },
    });
  }
}
