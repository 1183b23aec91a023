export { type LoggerLike, type LogMethod, takesFieldsFirst, toServiceLogger } from './logger-like.js';
export { METRIC_PREFIX } from './metrics/metric-factory.js';
export type { PrometheusRegistryLike } from './metrics/prom-client-like.js';
export type { BackupMetricsOptions } from './metrics/service-metrics.js';
export { countStorageRetries } from './metrics/storage-retries.js';
export type { BackupPhase } from './phase-timeline.js';
export { TRACER_NAME } from './trace-span.js';
