import { createRequire } from 'node:module';
import { type BackupService, createBackupService } from '@backupkit/core';
import type { BackupHandlerOptions, Logger } from '@backupkit/http-adapter';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './env.js';

/** prom-client, loaded only when metrics are on: a server without them does not carry it. */
function newRegistry(): Registry {
  const client = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  return new client.Registry();
}

/** One JSON line per event on stdout; fields never hold bodies or secrets. */
export const jsonLogger: Logger & { debug(message: string, fields?: Record<string, unknown>): void } = {
  debug: () => {},
  info: (msg, fields) => console.log(JSON.stringify({ level: 'info', msg, ...fields })),
  warn: (msg, fields) => console.log(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: 'error', msg, ...fields })),
};

/** The service and the adapter options the server mounts. */
export function createBackupkit(config: ServerConfig): {
  service: BackupService;
  adapter: Omit<BackupHandlerOptions, 'service'>;
} {
  const registry = config.metrics === 'off' ? null : newRegistry();
  const service = createBackupService({
    ...(registry ? { metrics: { registry } } : { metrics: false }),
    catalog: config.catalog,
    dataDir: config.dataDir,
    keys: config.keys,
    access: config.access,
    ...(config.secretKey ? { secretKey: config.secretKey } : {}),
    storage: {
      localRoot: config.storageDir,
      // Each cloud SDK is loaded with the first destination of its type: a server that never
      // uses one does not carry it (together some 30 MiB of resident memory).
      drivers: {
        s3: async (destination) =>
          (await import('@backupkit/storage-s3')).s3DriverFactoryWith(config.s3)(destination),
        azure: async (destination) =>
          (await import('@backupkit/storage-azure')).azureDriverFactory(destination),
        gcs: async (destination) =>
          (await import('@backupkit/storage-gcs')).gcsDriverFactoryWith(config.gcs)(destination),
      },
    },
    logger: jsonLogger,
  });
  return {
    service,
    adapter: {
      catalog: config.catalog,
      authenticate: config.authenticate,
      publicActions: config.metrics === 'public' ? ['health', 'openapi', 'metrics'] : ['health', 'openapi'],
      ...(registry ? { metrics: { registry } } : {}),
      ui: config.ui,
      secrets: config.secrets,
      rateLimits: config.rateLimits,
      logger: jsonLogger,
    },
  };
}
