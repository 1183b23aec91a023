import { requireOptional } from '../../util/optional-module.js';

// The subset of prom-client the service uses (structural: prom-client is an optional peer, so
// hosts without metrics neither install it nor see its types).

export type Labels = Record<string, string>;

/** A registry as prom-client's `Registry` (the host's, or prom-client's default `register`). */
export interface PrometheusRegistryLike {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
  readonly contentType: string;
}

interface MetricConfig {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers?: PrometheusRegistryLike[];
  buckets?: number[];
  collect?: () => void | Promise<void>;
}

export interface CounterLike {
  inc(labels: Labels, value?: number): void;
}

export interface GaugeLike {
  set(labels: Labels, value: number): void;
  reset(): void;
}

export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

export interface PromClientLike {
  register: PrometheusRegistryLike;
  Counter: new (config: MetricConfig) => CounterLike;
  Gauge: new (config: MetricConfig) => GaugeLike;
  Histogram: new (config: MetricConfig) => HistogramLike;
}

/**
 * prom-client, from the host's install.
 * @throws BackupError `not_implemented` when it is not installed.
 */
export function loadPromClient(): PromClientLike {
  return requireOptional<PromClientLike>('prom-client', 'Prometheus metrics');
}
