import type { RetryEvent } from '../../storage/retrying-driver.js';
import { METRIC_PREFIX } from './metric-factory.js';
import { type CounterLike, loadPromClient, type PrometheusRegistryLike } from './prom-client-like.js';

const NAME = `${METRIC_PREFIX}storage_retries_total`;

/**
 * An `onRetry` for `RetryingStorageDriver` / `withRetries` that counts each retry in
 * `backupkit_storage_retries_total{destination_type, operation}`. The service cannot see retries
 * inside a driver it did not wrap, so hosts that wrap theirs pass this:
 * `withRetries(driver, { onRetry: countStorageRetries({ destinationType: 's3' }) })`.
 * @throws BackupError `not_implemented` without prom-client.
 */
export function countStorageRetries(options: {
  destinationType: string;
  /** Default: prom-client's default registry. */
  registry?: PrometheusRegistryLike;
}): (event: RetryEvent) => void {
  const client = loadPromClient();
  const registry = options.registry ?? client.register;
  const counter =
    (registry.getSingleMetric(NAME) as CounterLike | undefined) ??
    new client.Counter({
      name: NAME,
      help: 'Storage calls tried again after a retryable failure, by destination type and operation.',
      labelNames: ['destination_type', 'operation'],
      registers: [registry],
    });
  return (event) => counter.inc({ destination_type: options.destinationType, operation: event.operation });
}
