import type { EventEmitter } from 'eventemitter3';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { KeyProvider } from '../keys/key-provider.js';
import type { Notifier } from '../notify/notifier.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import type { Clock } from '../util/clock.js';
import type { AccessGuard } from './access-guard.js';
import type { BackupServiceEvents } from './events.js';
import type { SecretSealer } from './secrets.js';
import type { SourceRegistry } from './source-registry.js';
import type { StorageRegistry } from './storage-registry.js';
import type { WorkTracker } from './work-tracker.js';

/** Where the service writes diagnostics. Messages and fields never contain secrets. */
export interface ServiceLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ServiceLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What the service's parts share. */
export interface ServiceContext {
  catalog: CatalogRepository;
  clock: Clock;
  keys: KeyProvider;
  sealer: SecretSealer;
  storage: StorageRegistry;
  /** The host's access policy: directories, endpoints, database servers, schedule and work limits. */
  access: AccessGuard;
  sources: SourceRegistry;
  events: EventEmitter<BackupServiceEvents>;
  logger: ServiceLogger;
  notifiers: Notifier[];
  tracker: WorkTracker;
  instanceId: string;
  /** How long an execution's lease lasts without a heartbeat. */
  leaseMs: number;
  /** Minimum time between progress writes to the catalog. */
  progressIntervalMs: number;
  /** Garbage collection spares packs younger than this (see `collectGarbage`). */
  gcGraceMs: number;
  /** Apply the job's retention policy (and garbage collection) after each successful backup. */
  retentionAfterBackup: boolean;
  /** Destinations searched, besides every job's, when the catalog lacks a backup storage has. */
  recoveryDestinations?: DestinationConfig[];
  /** OpenTelemetry spans around executions, restores and verifications (default true). */
  tracing?: boolean;
}

export function nowIso(context: Pick<ServiceContext, 'clock'>): string {
  return context.clock.now().toISOString();
}
