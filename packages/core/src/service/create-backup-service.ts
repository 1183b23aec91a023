import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { loadOrCreateSecretKey, SecretBox } from '../catalog/secret-box.js';
import { createSqliteCatalog } from '../catalog/sqlite-catalog.js';
import type { KeyProvider } from '../keys/key-provider.js';
import { LocalKeyProvider } from '../keys/local-key-provider.js';
import { logLifecycle } from '../monitoring/lifecycle-log.js';
import { type LoggerLike, toServiceLogger } from '../monitoring/logger-like.js';
import { type BackupMetricsOptions, createServiceMetrics } from '../monitoring/metrics/service-metrics.js';
import type { Notifier } from '../notify/notifier.js';
import type { Scheduler } from '../schedule/scheduler.js';
import type { AccessPolicy } from '../security/access-policy.js';
import type { SourceKind } from '../sources/backup-source.js';
import { defaultSourceKinds } from '../sources/default-kinds.js';
import type { DestinationConfig, StorageDriverFactory } from '../storage/storage-driver.js';
import { type Clock, systemClock } from '../util/clock.js';
import { AccessGuard } from './access-guard.js';
import type { BackupService, CallContext, WaitForOptions, WaitForResult } from './backup-service.js';
import type { BackupServiceEvents } from './events.js';
import { createServiceScheduler, startExecution } from './execution-scheduler.js';
import * as jobs from './job-operations.js';
import { defaultInstanceId, failOrphanedExecutions } from './recovery.js';
import type { ExecuteJobInput, ListExecutionsQueryInput } from './schemas/execute.js';
import type { CreateJobInput, ListJobsQueryInput, UpdateJobInput } from './schemas/job.js';
import {
  type AnalyticsQueryInput,
  type ApplyRetentionOptionsInput,
  type JobStatusQueryInput,
  jobStatusQuerySchema,
  type ListBackupsQueryInput,
} from './schemas/queries.js';
import type { CreateRestoreInput } from './schemas/restore.js';
import type { VerifyBackupInput } from './schemas/verify.js';
import type {
  AnalyticsView,
  BackupFileList,
  CatalogRebuildResult,
  ExecutionId,
  ExecutionList,
  ExecutionView,
  HealthView,
  JobList,
  JobStatusView,
  JobView,
  RestoreId,
  RestoreStatusView,
  RestoreView,
  RetentionResult,
  VerificationId,
  VerificationView,
} from './schemas/views/index.js';
import type { SecretSealer } from './secrets.js';
import { type ServiceContext, silentLogger } from './service-context.js';
import { ServiceOperations } from './service-operations.js';
import { SourceRegistry } from './source-registry.js';
import { recoverFromStorage } from './storage-recovery.js';
import { StorageRegistry } from './storage-registry.js';
import { parseInput } from './validate.js';
import { executionView, jobView } from './views.js';
import { WorkTracker } from './work-tracker.js';

export interface BackupServiceOptions {
  /** Where jobs, executions and backups are recorded. Default: SQLite at `<dataDir>/catalog.db`. */
  catalog?: CatalogRepository;
  /** Default `./.backupkit`. */
  dataDir?: string;
  storage?: {
    /** Root of `type: local` destinations (default `<dataDir>/storage`); their paths never leave it. */
    localRoot?: string;
    /** Driver factories by destination type (`s3`, `azure`, `gcs`, your own). */
    drivers?: Record<string, StorageDriverFactory>;
  };
  /**
   * What jobs and restores may touch (see `AccessPolicy`). Default: no directory is readable
   * or writable (directory backups and restores are refused until roots are named), no
   * per-job storage endpoint, any database server, schedules at most once a minute, two
   * restores and two verifications at once.
   */
  access?: AccessPolicy;
  /** Master keys by `key_id`. Default: `LocalKeyProvider.fromEnv(process.env.BACKUPKIT_KEYS)`. */
  keys?: KeyProvider;
  /** 32 bytes sealing connection strings in the catalog. Default: `<dataDir>/secret.key`, created once. */
  secretKey?: Buffer;
  /** Seals secrets instead of a `SecretBox` on `secretKey` (e.g. a KMS-backed sealer). */
  secretSealer?: SecretSealer;
  /** Source kinds by type. Default: filesystem and PostgreSQL. */
  sources?: SourceKind[];
  clock?: Clock;
  /** Names this process in execution leases. Default `host:pid:random`. */
  instanceId?: string;
  /**
   * Executions this instance runs at once (default 2); more wait as `queued` in the catalog, where
   * any instance with a free slot claims them (highest priority first).
   */
  maxConcurrentExecutions?: number;
  /**
   * Where diagnostics go: pino, console, or any `(message, fields)` logger (see `LoggerLike`).
   * Fields carry job, execution, backup, restore and verification ids, never secrets.
   */
  logger?: LoggerLike;
  /** Where job and restore notifications go (SMTP, webhooks); per job settings decide when. */
  notifiers?: Notifier[];
  /** How long an execution lease lasts without a heartbeat (default 60 s). */
  leaseMs?: number;
  /** Minimum time between progress writes (default 500 ms). */
  progressIntervalMs?: number;
  /**
   * How often the scheduler ticks after `start()` (default 15 s, at most a third of `leaseMs`):
   * due schedules, expired leases of dead instances, queued executions other instances left.
   */
  schedulerIntervalMs?: number;
  /**
   * Garbage collection after retention neither deletes nor repacks packs stored less than this
   * long ago (default 1 hour). Running backups are protected by repository locks regardless.
   */
  gcGraceMs?: number;
  /**
   * Apply each job's retention policy, then garbage collection, after every successful backup
   * (default true). `applyRetention` works either way.
   */
  retentionAfterBackup?: boolean;
  /** USD per GiB-month by destination type and storage class, for analytics. */
  storagePrices?: Record<string, Record<string, number>>;
  /**
   * Destinations (with credentials) to rebuild the catalog from when it lacks backups that storage
   * has — e.g. after the catalog database was lost. Every job's destination is searched too.
   */
  recoveryDestinations?: DestinationConfig[];
  /**
   * Prometheus metrics through prom-client (an optional peer: install it to use this). `true`
   * registers them in prom-client's default registry; pass `{ registry }` for one of your own.
   * Serve them with the HTTP adapter's `metrics` option. Default: none.
   */
  metrics?: boolean | BackupMetricsOptions;
  /**
   * OpenTelemetry spans around executions (and their phases), restores and verifications,
   * through `@opentelemetry/api` when installed; without it, or without an SDK registered,
   * nothing is recorded. Default true.
   */
  tracing?: boolean;
}

/**
 * Creates the backup service. Nothing touches disk until the first call (catalog, secret key).
 * @throws BackupError `invalid_backup_config` for malformed `BACKUPKIT_KEYS` or options.
 */
export function createBackupService(options: BackupServiceOptions = {}): BackupService {
  return new DefaultBackupService(options);
}

class DefaultBackupService extends EventEmitter<BackupServiceEvents> implements BackupService {
  readonly #options: BackupServiceOptions;
  readonly #context: Omit<ServiceContext, 'sealer'> & { sealer: SecretSealer | null };
  readonly #ownsCatalog: boolean;
  readonly #scheduler: Scheduler;
  readonly #ops: ServiceOperations;
  #ready: Promise<void> | null = null;

  constructor(options: BackupServiceOptions) {
    super();
    this.#options = options;
    const dataDir = path.resolve(options.dataDir ?? './.backupkit');
    this.#ownsCatalog = options.catalog === undefined;
    const catalog = options.catalog ?? createSqliteCatalog({ path: path.join(dataDir, 'catalog.db') });
    const clock = options.clock ?? systemClock;
    const metrics = options.metrics
      ? createServiceMetrics(options.metrics === true ? {} : options.metrics, {
          catalog,
          events: this,
          clock,
        })
      : null;
    const storage = new StorageRegistry(
      options.storage?.localRoot ?? path.join(dataDir, 'storage'),
      options.storage?.drivers,
      metrics ? (driver) => metrics.storage(driver) : undefined,
    );
    const logger = options.logger ? toServiceLogger(options.logger) : silentLogger;
    logLifecycle(this, logger);
    this.#context = {
      catalog: metrics ? metrics.catalog(catalog) : catalog,
      clock,
      keys: options.keys ?? LocalKeyProvider.fromEnv(process.env.BACKUPKIT_KEYS ?? ''),
      sealer: options.secretSealer ?? null,
      storage,
      access: new AccessGuard(options.access, [dataDir, storage.localRoot]),
      sources: new SourceRegistry(options.sources ?? defaultSourceKinds()),
      events: this,
      logger,
      notifiers: options.notifiers ?? [],
      tracker: new WorkTracker(),
      instanceId: options.instanceId ?? defaultInstanceId(randomBytes(4).toString('hex')),
      leaseMs: options.leaseMs ?? 60_000,
      progressIntervalMs: options.progressIntervalMs ?? 500,
      gcGraceMs: options.gcGraceMs ?? 60 * 60_000,
      retentionAfterBackup: options.retentionAfterBackup ?? true,
      recoveryDestinations: options.recoveryDestinations ?? [],
      tracing: options.tracing !== false,
    };
    this.#scheduler = createServiceScheduler(() => this.#ctx(), {
      maxConcurrentExecutions: options.maxConcurrentExecutions,
      intervalMs: options.schedulerIntervalMs,
    });
    this.#ops = new ServiceOperations(() => this.#ctx(), this.#scheduler, options.storagePrices);
  }

  #ctx(): ServiceContext {
    return this.#context as ServiceContext;
  }

  /** Opens the catalog and the secret key once; fails executions a dead process left running. */
  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await this.#context.catalog.init();
      if (!this.#context.sealer) {
        const dataDir = path.resolve(this.#options.dataDir ?? './.backupkit');
        const key =
          this.#options.secretKey ?? (await loadOrCreateSecretKey(path.join(dataDir, 'secret.key')));
        this.#context.sealer = new SecretBox(key);
      }
      await failOrphanedExecutions(this.#ctx());
      // Queued executions left in the catalog (by this or a stopped instance) need no `start()`.
      void this.#scheduler
        .claimQueued()
        .catch((error) => this.#context.logger.error('Queue claim failed', { error: String(error) }));
    })().catch((error) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  async #call<T>(run: (context: ServiceContext) => Promise<T>): Promise<T> {
    await this.#init();
    return run(this.#ctx());
  }

  createJob(input: CreateJobInput, call?: CallContext): Promise<JobView> {
    return this.#call((c) => jobs.createJob(c, input, call));
  }
  getJob(jobId: string, call?: CallContext): Promise<JobView> {
    return this.#call(async (c) => jobView(await jobs.loadJob(c, jobId, call)));
  }
  listJobs(query?: ListJobsQueryInput, call?: CallContext): Promise<JobList> {
    return this.#call((c) => jobs.listJobs(c, query, call));
  }
  updateJob(jobId: string, patch: UpdateJobInput, call?: CallContext): Promise<JobView> {
    return this.#call((c) => jobs.updateJob(c, jobId, patch, call));
  }
  deleteJob(jobId: string, call?: CallContext): Promise<void> {
    return this.#call((c) => jobs.deleteJob(c, jobId, call));
  }

  executeJob(jobId: string, input?: ExecuteJobInput, call: CallContext = {}): Promise<ExecutionView> {
    return this.#call(async (c) =>
      executionView(await startExecution(c, this.#scheduler, jobId, input, call)),
    );
  }

  getJobStatus(jobId: string, query?: JobStatusQueryInput, call: CallContext = {}): Promise<JobStatusView> {
    return this.#call(() => {
      const { execution_id } = parseInput(jobStatusQuerySchema, query ?? {});
      return this.#ops.jobStatus(jobId, execution_id, call);
    });
  }
  listExecutions(
    jobId: string,
    query?: ListExecutionsQueryInput,
    call: CallContext = {},
  ): Promise<ExecutionList> {
    return this.#call(() => this.#ops.listExecutions(jobId, query, call));
  }
  cancelExecution(executionId: string, call: CallContext = {}): Promise<ExecutionView> {
    return this.#call(() => this.#ops.cancelExecution(executionId, call));
  }
  listBackups(query?: ListBackupsQueryInput, call: CallContext = {}): Promise<BackupFileList> {
    return this.#call(() => this.#ops.listBackups(query, call));
  }
  createRestore(input: CreateRestoreInput, call: CallContext = {}): Promise<RestoreView> {
    return this.#call(() => this.#ops.createRestore(input, call));
  }
  getRestoreStatus(restoreId: string, call: CallContext = {}): Promise<RestoreStatusView> {
    return this.#call(() => this.#ops.restoreStatus(restoreId, call));
  }
  verifyBackup(
    backupId: string,
    input?: VerifyBackupInput,
    call: CallContext = {},
  ): Promise<VerificationView> {
    return this.#call(() => this.#ops.verifyBackup(backupId, input, call));
  }
  getVerification(verificationId: string, call: CallContext = {}): Promise<VerificationView> {
    return this.#call(() => this.#ops.verification(verificationId, call));
  }
  getAnalytics(query?: AnalyticsQueryInput, call: CallContext = {}): Promise<AnalyticsView> {
    return this.#call(() => this.#ops.analytics(query, call));
  }
  applyRetention(
    jobId: string,
    options?: ApplyRetentionOptionsInput,
    call: CallContext = {},
  ): Promise<RetentionResult> {
    return this.#call(() => this.#ops.applyRetention(jobId, options, call));
  }
  health(): Promise<HealthView> {
    return this.#call(() => this.#ops.health());
  }
  waitFor(id: ExecutionId, options?: WaitForOptions, call?: CallContext): Promise<JobStatusView>;
  waitFor(id: RestoreId, options?: WaitForOptions, call?: CallContext): Promise<RestoreStatusView>;
  waitFor(id: VerificationId, options?: WaitForOptions, call?: CallContext): Promise<VerificationView>;
  waitFor(id: string, options?: WaitForOptions, call?: CallContext): Promise<WaitForResult>;
  waitFor(id: string, options: WaitForOptions = {}, call: CallContext = {}): Promise<WaitForResult> {
    return this.#call(() => this.#ops.waitFor(id, options.timeoutMs, call));
  }
  rebuildCatalog(options: { destinations?: DestinationConfig[] } = {}): Promise<CatalogRebuildResult> {
    return this.#call(async () => ({ ...(await recoverFromStorage(this.#ctx(), options)) }));
  }

  /** Starts the scheduler: a first tick at once (catching up missed runs), then one per interval. */
  async start(): Promise<void> {
    await this.#init();
    await this.#scheduler.start();
  }

  /**
   * Stops ticking and waits for running work (with `cancelRunning`, cancels it). Queued executions
   * stay queued in the catalog for another instance or the next start.
   */
  async stop(options: { cancelRunning?: boolean } = {}): Promise<void> {
    await this.#scheduler.stop(options);
    await this.#context.tracker.drain(options.cancelRunning === true);
    if (this.#ownsCatalog && this.#ready) {
      await this.#ready.catch(() => {});
      this.#ready = null;
      await this.#context.catalog.close();
    }
  }
}
