import type { CatalogRepository } from '../../catalog/catalog-repository.js';
import { isBackupError } from '../../errors.js';
import type { StorageDriver } from '../../storage/storage-driver.js';
import { type MetricFactory, OPERATION_BUCKETS } from './metric-factory.js';
import type { CounterLike, HistogramLike } from './prom-client-like.js';

/** Storage calls timed, by the driver interface's own names (a bounded set). */
const STORAGE_OPERATIONS = new Set(['put', 'get', 'head', 'delete', 'deleteMany']);

function codeOf(error: unknown): string {
  return isBackupError(error) ? error.code : 'internal_error';
}

/** Latency and error metrics of catalog and storage calls, and wrappers that feed them. */
export class OperationMetrics {
  readonly #catalogDuration: HistogramLike;
  readonly #catalogErrors: CounterLike;
  readonly #storageDuration: HistogramLike;
  readonly #storageErrors: CounterLike;

  constructor(factory: MetricFactory) {
    this.#catalogDuration = factory.histogram({
      name: 'catalog_operation_duration_seconds',
      help: 'Latency of catalog calls, by method.',
      labels: ['operation'],
      buckets: OPERATION_BUCKETS,
    });
    this.#catalogErrors = factory.counter({
      name: 'catalog_operation_errors_total',
      help: 'Catalog calls that failed, by method and error code (unavailable: worth a retry).',
      labels: ['operation', 'code'],
    });
    this.#storageDuration = factory.histogram({
      name: 'storage_operation_duration_seconds',
      help: 'Latency of storage calls (a get: until its stream is open), by destination type and operation.',
      labels: ['destination_type', 'operation'],
      buckets: OPERATION_BUCKETS,
    });
    this.#storageErrors = factory.counter({
      name: 'storage_operation_errors_total',
      help: 'Storage calls that failed, by destination type, operation and error code.',
      labels: ['destination_type', 'operation', 'code'],
    });
  }

  /** The catalog with each call timed (the calls themselves unchanged). */
  catalog(catalog: CatalogRepository): CatalogRepository {
    return timedProxy(
      catalog,
      () => true,
      (operation, seconds, error) => {
        this.#catalogDuration.observe({ operation }, seconds);
        if (error !== undefined) this.#catalogErrors.inc({ operation, code: codeOf(error) });
      },
    );
  }

  /** The driver with each call timed. */
  storage(driver: StorageDriver): StorageDriver {
    const destinationType = driver.type;
    return timedProxy(
      driver,
      (name) => STORAGE_OPERATIONS.has(name),
      (operation, seconds, error) => {
        this.#storageDuration.observe({ destination_type: destinationType, operation }, seconds);
        if (error !== undefined) {
          this.#storageErrors.inc({ destination_type: destinationType, operation, code: codeOf(error) });
        }
      },
    );
  }
}

/**
 * A proxy whose promise-returning methods report their duration and failure. Methods run on
 * the target itself: classes with private fields refuse calls through a proxy.
 */
function timedProxy<T extends object>(
  target: T,
  timed: (name: string) => boolean,
  report: (operation: string, seconds: number, error?: unknown) => void,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (!timed(property)) return value.bind(object);
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = value.apply(object, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (resolved) => {
            report(property, (performance.now() - started) / 1000);
            return resolved;
          },
          (error: unknown) => {
            report(property, (performance.now() - started) / 1000, error);
            throw error;
          },
        );
      };
    },
  });
}
