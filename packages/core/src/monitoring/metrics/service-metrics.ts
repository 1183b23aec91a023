import type { EventEmitter } from 'eventemitter3';
import type { CatalogRepository } from '../../catalog/catalog-repository.js';
import type { BackupServiceEvents } from '../../service/events.js';
import type { Clock } from '../../util/clock.js';
import { CatalogStateReader } from './catalog-state.js';
import { registerCatalogStateMetrics } from './catalog-state-metrics.js';
import { MetricFactory } from './metric-factory.js';
import { OperationMetrics } from './operation-metrics.js';
import { PendingUpdates } from './pending-updates.js';
import { loadPromClient, type PrometheusRegistryLike } from './prom-client-like.js';
import { registerRunMetrics } from './run-metrics.js';

/** The `metrics` option of `createBackupService`. */
export interface BackupMetricsOptions {
  /**
   * Where the `backupkit_*` metrics are registered: a prom-client `Registry` of the host's, one
   * per service. Default: prom-client's default registry (`register`).
   */
  registry?: PrometheusRegistryLike;
}

/**
 * Registers the service's metrics (see the core README for the list) and returns what wraps
 * its catalog and storage drivers so their calls are timed.
 * @throws BackupError `not_implemented` without prom-client; `invalid_backup_config` when the
 *   registry already holds them.
 */
export function createServiceMetrics(
  options: BackupMetricsOptions,
  parts: { catalog: CatalogRepository; events: EventEmitter<BackupServiceEvents>; clock: Clock },
): OperationMetrics {
  const client = loadPromClient();
  const factory = new MetricFactory(client, options.registry ?? client.register);
  const pending = new PendingUpdates();
  registerRunMetrics(factory, parts.events, parts.catalog, pending);
  registerCatalogStateMetrics(factory, new CatalogStateReader(parts.catalog), parts.clock, pending);
  return new OperationMetrics(factory);
}
