import { BackupError } from '../../errors.js';
import type {
  CounterLike,
  GaugeLike,
  HistogramLike,
  PromClientLike,
  PrometheusRegistryLike,
} from './prom-client-like.js';

/** Every metric name the service registers starts with this. */
export const METRIC_PREFIX = 'backupkit_';

/** Seconds: from a quick directory backup to a six-hour database dump. */
export const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
/** Seconds: catalog queries and storage requests. */
export const OPERATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Spec {
  name: string;
  help: string;
  labels?: readonly string[];
  collect?: () => void | Promise<void>;
}

/** Creates the service's metrics in one registry, refusing names it already holds. */
export class MetricFactory {
  readonly #client: PromClientLike;
  readonly #registry: PrometheusRegistryLike;

  constructor(client: PromClientLike, registry: PrometheusRegistryLike) {
    this.#client = client;
    this.#registry = registry;
  }

  counter(spec: Spec): CounterLike {
    return new this.#client.Counter(this.#config(spec));
  }

  gauge(spec: Spec): GaugeLike {
    return new this.#client.Gauge(this.#config(spec));
  }

  histogram(spec: Spec & { buckets: number[] }): HistogramLike {
    return new this.#client.Histogram({ ...this.#config(spec), buckets: spec.buckets });
  }

  #config(spec: Spec) {
    const name = METRIC_PREFIX + spec.name;
    if (this.#registry.getSingleMetric(name)) {
      // Two services in one registry would overwrite each other's figures.
      throw new BackupError(
        'invalid_backup_config',
        `The metrics registry already holds ${name}: give each backup service a registry of its own`,
        { details: { option: 'metrics.registry', metric: name } },
      );
    }
    return {
      name,
      help: spec.help,
      labelNames: spec.labels ?? [],
      registers: [this.#registry],
      ...(spec.collect ? { collect: spec.collect } : {}),
    };
  }
}
