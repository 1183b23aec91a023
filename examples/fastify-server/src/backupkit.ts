import { type BackupService, createBackupService } from '@backupkit/core';
import type { BackupHandlerOptions, Logger } from '@backupkit/http-adapter';
import { azureDriverFactory } from '@backupkit/storage-azure';
import { gcsDriverFactoryWith } from '@backupkit/storage-gcs';
import { s3DriverFactoryWith } from '@backupkit/storage-s3';
import type { ServerConfig } from './env.js';

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
  const service = createBackupService({
    catalog: config.catalog,
    dataDir: config.dataDir,
    keys: config.keys,
    ...(config.secretKey ? { secretKey: config.secretKey } : {}),
    storage: {
      localRoot: config.storageDir,
      drivers: {
        s3: s3DriverFactoryWith(config.s3),
        azure: azureDriverFactory,
        gcs: gcsDriverFactoryWith(config.gcs),
      },
    },
    logger: jsonLogger,
  });
  return {
    service,
    adapter: {
      catalog: config.catalog,
      authenticate: config.authenticate,
      publicActions: ['health', 'openapi'],
      secrets: config.secrets,
      logger: jsonLogger,
    },
  };
}
