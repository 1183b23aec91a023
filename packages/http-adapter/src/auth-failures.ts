import type { CatalogRepository, Clock } from '@backupkit/core';
import type { Logger } from './types.js';

/** The catalog counter every failed authentication increments, one row per hour window. */
export const AUTH_FAILURES_COUNTER = 'auth_failures';

const HOUR_MS = 3600 * 1000;

/**
 * Counts failed authentications in one shared catalog counter per hour instead of an audit row
 * each: a flood of requests without valid credentials must not grow the audit log.
 */
export class AuthFailureCounter {
  readonly #catalog: Pick<CatalogRepository, 'incrementRateCounter'>;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;

  constructor(catalog: Pick<CatalogRepository, 'incrementRateCounter'>, clock: Clock, logger?: Logger) {
    this.#catalog = catalog;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** The window key the current hour's failures count under (ISO start of the hour). */
  windowStart(): string {
    const now = this.#clock.now().getTime();
    return new Date(Math.floor(now / HOUR_MS) * HOUR_MS).toISOString();
  }

  /** Never throws: a failed count is logged, the 401 stands. */
  async record(): Promise<void> {
    try {
      await this.#catalog.incrementRateCounter(AUTH_FAILURES_COUNTER, this.windowStart());
    } catch (error) {
      this.#logger?.error('auth failure count failed', {
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
}
