import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { ExecutionRecord } from '../catalog/records.js';
import { BackupError, toBackupError } from '../errors.js';
import { type Clock, systemClock } from '../util/clock.js';
import {
  type ClaimOccurrencesOptions,
  claimDueOccurrences,
  type OccurrenceOutcome,
  sweepExpiredLeases,
} from './occurrences.js';

export interface SchedulerLogger {
  info?(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SchedulerOptions {
  catalog: CatalogRepository;
  /** Names this instance in execution `owner`; unique per running process. */
  instanceId: string;
  /**
   * Runs one execution this instance claimed (status `running`, owner = this instance) to its end,
   * writing its final state. If it throws and the record is still running, the scheduler marks it
   * failed. `signal` fires on `stop({ cancelRunning: true })` or when the lease was lost.
   */
  runExecution: (execution: ExecutionRecord, context: { signal: AbortSignal }) => Promise<void>;
  createExecution?: ClaimOccurrencesOptions['createExecution'];
  clock?: Clock;
  /** Lease length; renewed on every tick once a third of it is used. Default 60 s. */
  leaseMs?: number;
  /** Real-time interval between ticks after `start()`. Default 5 s. */
  pollMs?: number;
  /** Executions this instance runs at once (queued ones wait, highest priority first). Default 2. */
  maxConcurrent?: number;
  /** See `claimDueOccurrences`. Default 60 s. */
  lateAfterMs?: number;
  /** Claim schedule occurrences (false: only work the queue). Default true. */
  schedules?: boolean;
  logger?: SchedulerLogger;
  /** Called for each execution (of any instance) this one found with an expired lease and failed. */
  onLeaseExpired?: (execution: ExecutionRecord) => void;
}

export interface TickResult {
  expired: string[];
  occurrences: OccurrenceOutcome[];
  started: string[];
  renewed: string[];
  lost: string[];
}

interface Running {
  execution: ExecutionRecord;
  controller: AbortController;
  done: Promise<void>;
  leaseUntil: number;
}

const quietLogger: SchedulerLogger = { warn() {}, error() {} };

/**
 * The scheduler of one service instance. Each tick: fails executions whose lease expired, renews
 * the leases of its own, claims due schedule occurrences (exactly once across instances, via the
 * catalog) and queues them, then claims queued executions by priority up to `maxConcurrent` and
 * runs them. Everything reads `clock`, so tests drive it with a `ManualClock` and `tick()`.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #logger: SchedulerLogger;
  readonly #running = new Map<string, Running>();
  /** Slots taken by `reserve()` for executions the caller inserts as running itself. */
  #reserved = 0;
  #claiming: Promise<string[]> | null = null;
  #claimAgain = false;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<TickResult> | null = null;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    if (!options.instanceId) throw new BackupError('invalid_request', 'Scheduler needs an instanceId');
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollMs = options.pollMs ?? 5000;
    this.#logger = options.logger ?? quietLogger;
    // Leases are renewed by ticks: a tick must come well before a lease can run out.
    if (this.#pollMs * 3 > this.#leaseMs) {
      throw new BackupError('invalid_request', 'Scheduler pollMs must be at most a third of leaseMs', {
        details: { pollMs: options.pollMs ?? 5000, leaseMs: this.#leaseMs },
      });
    }
  }

  /** Executions this instance is running now. */
  get running(): ExecutionRecord[] {
    return [...this.#running.values()].map((r) => r.execution);
  }

  get #max(): number {
    return Math.max(1, this.#options.maxConcurrent ?? 2);
  }

  /**
   * Takes a slot for an execution the caller records as `running` (owner = this instance) itself,
   * e.g. a manual run started at once. False when every slot is taken: record it `queued` instead.
   * Follow with `runReserved` (after the insert) or `unreserve` (when the insert failed).
   */
  reserve(): boolean {
    if (this.#running.size + this.#reserved >= this.#max) return false;
    this.#reserved++;
    return true;
  }

  /** Gives back a slot taken by `reserve()` without running anything. */
  unreserve(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
  }

  /** Runs (in the background) an execution recorded as running in a slot taken by `reserve()`. */
  runReserved(execution: ExecutionRecord): void {
    this.unreserve();
    const leaseUntil = execution.lease_expires_at
      ? Date.parse(execution.lease_expires_at)
      : this.#clock.now().getTime() + this.#leaseMs;
    this.#launch(execution, leaseUntil);
  }

  /** Aborts an execution this instance runs; false when it runs nowhere here. */
  abort(executionId: string, reason?: unknown): boolean {
    const entry = this.#running.get(executionId);
    if (!entry) return false;
    entry.controller.abort(reason);
    return true;
  }

  /** Resolves when the execution (if this instance runs it) has ended. */
  async settled(executionId: string): Promise<void> {
    await this.#running.get(executionId)?.done;
  }

  /**
   * Claims queued executions (highest priority first) into free slots and runs them; returns the
   * ids started. Called by ticks, and whenever a slot frees up, so the queue moves without polling.
   * Does nothing after `stop()`.
   */
  claimQueued(): Promise<string[]> {
    if (this.#claiming) {
      // The claim under way may already have found the queue empty: look again once it ends.
      this.#claimAgain = true;
      return this.#claiming;
    }
    this.#claiming = this.#claimQueued().finally(() => {
      this.#claiming = null;
      if (this.#claimAgain) {
        this.#claimAgain = false;
        void this.claimQueued().catch((error) => this.#logQueueError(error));
      }
    });
    return this.#claiming;
  }

  async #claimQueued(): Promise<string[]> {
    const started: string[] = [];
    while (!this.#stopped && this.#running.size + this.#reserved < this.#max) {
      const now = this.#clock.now();
      const leaseUntil = now.getTime() + this.#leaseMs;
      const execution = await this.#options.catalog.claimQueuedExecution(
        this.#options.instanceId,
        new Date(leaseUntil).toISOString(),
        now.toISOString(),
      );
      if (execution === null) break;
      this.#launch(execution, leaseUntil);
      started.push(execution.execution_id);
    }
    return started;
  }

  /** Runs a first tick at once (catching up missed runs), then one every `pollMs`. Idempotent. */
  async start(): Promise<void> {
    this.#stopped = false;
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      void this.tick().catch(() => undefined);
    }, this.#pollMs);
    this.#timer.unref();
    await this.tick();
  }

  /**
   * Stops ticking and waits for running executions; with `cancelRunning` their signals fire first
   * (each `runExecution` records its own cancellation).
   */
  async stop(options: { cancelRunning?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking?.catch(() => undefined);
    await this.#claiming?.catch(() => undefined);
    if (options.cancelRunning) {
      for (const r of this.#running.values())
        r.controller.abort(new BackupError('aborted', 'Service is stopping'));
    }
    await this.drain();
  }

  /** Resolves when every execution running now has ended. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  /** One pass (ticks never overlap: a tick asked for while one runs returns that one's result). */
  tick(): Promise<TickResult> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #tick(): Promise<TickResult> {
    const { catalog } = this.#options;
    const result: TickResult = { expired: [], occurrences: [], started: [], renewed: [], lost: [] };
    const step = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        const e = toBackupError(error);
        this.#logger.error(`Scheduler ${name} failed`, { code: e.code, message: e.message });
      }
    };
    await step('lease sweep', async () => {
      const failed = await sweepExpiredLeases(catalog, this.#clock.now(), {
        skipOwner: this.#options.instanceId,
        logger: this.#logger,
      });
      for (const e of failed) {
        result.expired.push(e.execution_id);
        this.#options.onLeaseExpired?.(e);
      }
    });
    await step('lease renewal', () => this.#renewLeases(catalog, result));
    if (this.#stopped) return result;
    if (this.#options.schedules !== false) {
      await step('schedule claim', async () => {
        result.occurrences = await claimDueOccurrences({
          catalog,
          now: this.#clock.now(),
          lateAfterMs: this.#options.lateAfterMs,
          createExecution: this.#options.createExecution,
          logger: this.#logger,
        });
      });
    }
    await step('queue claim', async () => {
      // A claim started by a freed slot may be under way: wait for it, then claim what is left.
      await this.#claiming?.catch(() => undefined);
      result.started.push(...(await this.claimQueued()));
    });
    return result;
  }

  async #renewLeases(catalog: CatalogRepository, result: TickResult): Promise<void> {
    for (const [id, r] of this.#running) {
      const outcome = await this.#renew(catalog, id, r);
      if (outcome) result[outcome].push(id);
    }
  }

  /** Renews one lease once a third of it is used; aborts the run when the lease was lost. */
  async #renew(catalog: CatalogRepository, id: string, r: Running): Promise<'renewed' | 'lost' | null> {
    const now = this.#clock.now().getTime();
    if (r.leaseUntil - now > (this.#leaseMs * 2) / 3) return null;
    const current = await catalog.getExecution(id);
    // Ended meanwhile (its final write is in): nothing to renew.
    if (!this.#running.has(id) || r.controller.signal.aborted) return null;
    if (current === null || current.status !== 'running' || current.owner !== this.#options.instanceId) {
      // Cancelled from another instance, or declared dead (we stalled past the lease): stop.
      r.controller.abort(
        new BackupError('conflict', 'Execution lease was lost', { details: { execution_id: id } }),
      );
      return 'lost';
    }
    r.leaseUntil = now + this.#leaseMs;
    await catalog.updateExecution(id, { lease_expires_at: new Date(r.leaseUntil).toISOString() });
    return 'renewed';
  }

  #launch(execution: ExecutionRecord, leaseUntil: number): void {
    const controller = new AbortController();
    const entry: Running = { execution, controller, leaseUntil, done: Promise.resolve() };
    // Leases are renewed while the run lasts, with or without `start()` (ticks renew too).
    const renewal = setInterval(() => {
      void this.#renew(this.#options.catalog, execution.execution_id, entry).catch((error) =>
        this.#logger.warn('Lease renewal failed', {
          execution_id: execution.execution_id,
          code: toBackupError(error).code,
        }),
      );
    }, this.#pollMs);
    renewal.unref();
    entry.done = (async () => {
      try {
        await this.#options.runExecution(execution, { signal: controller.signal });
      } catch (error) {
        await this.#recordFailure(execution, error);
      } finally {
        clearInterval(renewal);
        this.#running.delete(execution.execution_id);
        // The freed slot takes the next queued execution at once.
        if (!this.#stopped) void this.claimQueued().catch((error) => this.#logQueueError(error));
      }
    })();
    this.#running.set(execution.execution_id, entry);
  }

  #logQueueError(error: unknown): void {
    const e = toBackupError(error);
    this.#logger.error('Scheduler queue claim failed', { code: e.code, message: e.message });
  }

  async #recordFailure(execution: ExecutionRecord, error: unknown): Promise<void> {
    const e = toBackupError(error);
    this.#logger.warn('Execution failed', { execution_id: execution.execution_id, code: e.code });
    try {
      const current = await this.#options.catalog.getExecution(execution.execution_id);
      if (current?.status !== 'running' || current.owner !== this.#options.instanceId) return;
      await this.#options.catalog.updateExecution(execution.execution_id, {
        status: e.code === 'aborted' ? 'cancelled' : 'failed',
        completed_at: this.#clock.now().toISOString(),
        lease_expires_at: null,
        error: { code: e.code, message: e.message, details: e.details },
      });
    } catch (recordError) {
      this.#logger.error('Could not record an execution failure', {
        execution_id: execution.execution_id,
        code: toBackupError(recordError).code,
      });
    }
  }
}

/** Creates a `Scheduler`; see `SchedulerOptions`. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new Scheduler(options);
}
