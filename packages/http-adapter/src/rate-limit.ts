import { BackupError, type CatalogRepository, type Clock } from '@backupkit/core';

/** The rate-limited operations: every mutating call counts in one of these. */
export type RateLimitBucket =
  | 'job_creation'
  | 'job_update'
  | 'job_deletion'
  | 'execution'
  | 'execution_cancel'
  | 'restore_creation'
  | 'verification'
  | 'retention_apply';

export interface RateLimitRule {
  /** Calls allowed per window and principal. */
  limit: number;
  /** Window length in seconds (default 3600). */
  windowSeconds?: number;
}

/** Per bucket: a rule, or `false` to switch that limit off. */
export type RateLimitOptions = Partial<Record<RateLimitBucket, RateLimitRule | false>>;

/**
 * Per principal and hour: job creation 10, execution 50, restore creation 5,
 * verification 20; and job update 100, job deletion 50, execution cancel 100, retention
 * apply 20, so that no mutating call is unbounded.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitBucket, RateLimitRule>> = {
  job_creation: { limit: 10, windowSeconds: 3600 },
  job_update: { limit: 100, windowSeconds: 3600 },
  job_deletion: { limit: 50, windowSeconds: 3600 },
  execution: { limit: 50, windowSeconds: 3600 },
  execution_cancel: { limit: 100, windowSeconds: 3600 },
  restore_creation: { limit: 5, windowSeconds: 3600 },
  verification: { limit: 20, windowSeconds: 3600 },
  retention_apply: { limit: 20, windowSeconds: 3600 },
};

export interface RateLimitResult {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Fixed-window counters per principal, kept in the catalog so every instance on one
 * catalog shares them (`incrementRateCounter` is atomic). A refused call still counts.
 */
export class RateLimiter {
  readonly #catalog: Pick<CatalogRepository, 'incrementRateCounter'>;
  readonly #rules: Record<RateLimitBucket, RateLimitRule | false>;
  readonly #clock: Clock;

  constructor(
    catalog: Pick<CatalogRepository, 'incrementRateCounter'>,
    options: RateLimitOptions,
    clock: Clock,
  ) {
    this.#catalog = catalog;
    this.#clock = clock;
    this.#rules = { ...DEFAULT_RATE_LIMITS, ...options };
    for (const [bucket, rule] of Object.entries(this.#rules)) {
      if (rule === false) continue;
      const window = rule.windowSeconds ?? 3600;
      if (!Number.isInteger(rule.limit) || rule.limit < 0 || !Number.isInteger(window) || window < 1) {
        throw new BackupError('invalid_request', `Invalid rate limit for ${bucket}`, { details: { bucket } });
      }
    }
  }

  /**
   * Counts one call of `principalId` in `bucket`.
   * @returns the limit state, or null when the bucket is unlimited.
   * @throws BackupError `rate_limited` (with `details.retry_after` seconds) when over the limit.
   */
  async consume(bucket: RateLimitBucket, principalId: string): Promise<RateLimitResult | null> {
    const rule = this.#rules[bucket];
    if (rule === false) return null;
    const windowMs = (rule.windowSeconds ?? 3600) * 1000;
    const now = this.#clock.now().getTime();
    const start = Math.floor(now / windowMs) * windowMs;
    const count = await this.#catalog.incrementRateCounter(
      `${bucket}:${principalId}`,
      new Date(start).toISOString(),
    );
    const resetSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
    if (count > rule.limit) {
      throw new BackupError('rate_limited', `Rate limit exceeded: ${rule.limit} per ${windowMs / 1000} s`, {
        details: { retry_after: resetSeconds, limit: rule.limit, window_seconds: windowMs / 1000, bucket },
      });
    }
    return { limit: rule.limit, remaining: rule.limit - count, resetSeconds };
  }
}
