// Type-checked only (never run), once as an ES module and once as CommonJS (cjs/): the main APIs
// as a user's code calls them, against the installed declarations. No top-level await or
// import.meta, so the same file is valid in both formats.
import { generateKeyPairSync, type webcrypto } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BackupError,
  type BackupService,
  createBackupService,
  createMemoryCatalog,
  createSqliteCatalog,
  type DestinationConfig,
  isBackupError,
  LocalKeyProvider,
  type ObjectInfo,
  type StorageCapabilities,
  type StorageDriver,
} from '@backupkit/core';
import {
  apiTokenAuthenticator,
  type BackupHandlerOptions,
  createBackupHandler,
  jwtAuthenticator,
  parseApiTokens,
} from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import { azureDriverFactory, azureDriverFactoryWith } from '@backupkit/storage-azure';
import { gcsDriverFactoryWith } from '@backupkit/storage-gcs';
import { s3DriverFactoryWith } from '@backupkit/storage-s3';
import express from 'express';
import Fastify from 'fastify';

/** A user's own driver: objects in a Map. */
export class MapStorageDriver implements StorageDriver {
  readonly type = 'map';
  readonly capabilities: StorageCapabilities = { rangeReads: false, atomicPut: true, storeChecksums: false };
  readonly #objects = new Map<string, { bytes: Buffer; at: Date }>();

  describe(key: string): string {
    return `map:${key}`;
  }

  async put(key: string, body: Readable | Uint8Array): Promise<void> {
    const pieces: Buffer[] = [];
    if (body instanceof Uint8Array) pieces.push(Buffer.from(body));
    else for await (const piece of body) pieces.push(Buffer.from(piece as Uint8Array));
    this.#objects.set(key, { bytes: Buffer.concat(pieces), at: new Date() });
  }

  async get(key: string): Promise<Readable> {
    const found = this.#objects.get(key);
    if (!found) throw new BackupError('not_found', `No object at ${key}`, { details: { key } });
    return Readable.from([found.bytes]);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const found = this.#objects.get(key);
    return found ? { key, size: found.bytes.length, lastModified: found.at } : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const [key, found] of this.#objects) {
      if (key.startsWith(prefix)) yield { key, size: found.bytes.length, lastModified: found.at };
    }
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(key);
  }
}

export function makeService(dataDir: string): BackupService {
  return createBackupService({
    dataDir,
    catalog: createSqliteCatalog({ path: `${dataDir}/catalog.db` }),
    keys: new LocalKeyProvider({ main: new Uint8Array(32) }),
    access: { sourceRoots: ['/srv/data'], restoreRoots: ['/srv/restore'] },
    storage: {
      drivers: {
        map: (_destination: DestinationConfig) => new MapStorageDriver(),
        s3: s3DriverFactoryWith({ region: 'eu-west-1', forcePathStyle: true }),
        azure: azureDriverFactory,
        'azure-cool': azureDriverFactoryWith({}),
        gcs: gcsDriverFactoryWith({}),
      },
    },
  });
}

export async function runOnce(service: BackupService) {
  const job = await service.createJob(
    {
      job_name: 'Nightly',
      backup_type: 'full',
      source: { type: 'filesystem', path: '/srv/data' },
      destination: { type: 'map', path: 'nightly' },
      compression: { enabled: true, algorithm: 'zstd', level: 3 },
      encryption: { enabled: true, algorithm: 'AES-256', key_id: 'main' },
    },
    { principal: 'ops' },
  );
  try {
    const run = await service.executeJob(String(job.job_id));
    return await service.waitFor(String(run.execution_id));
  } catch (error) {
    if (isBackupError(error, 'execution_in_progress')) return null;
    throw error;
  }
}

export function mount(service: BackupService): void {
  const options: Omit<BackupHandlerOptions, 'service'> = {
    catalog: createMemoryCatalog(),
    authenticate: apiTokenAuthenticator(parseApiTokens('tok-1:ops:admin')),
    publicActions: ['health'],
  };
  const handle = createBackupHandler({ service, ...options });
  void handle({ method: 'GET', path: '/health', query: {}, headers: {} });

  const app = express();
  app.use('/backup', backupRouter(service, options));

  const fastify = Fastify({ frameworkErrors: backupFrameworkErrors });
  void fastify.register(backupPlugin, { service, ...options, prefix: '/backup' });
}

/** Keys typed by node:crypto (the public declarations do not name jose's types). */
export function jwt(webKey: webcrypto.CryptoKey): void {
  jwtAuthenticator({ publicKey: generateKeyPairSync('ed25519').publicKey, algorithms: ['EdDSA'] });
  jwtAuthenticator({ publicKey: webKey, issuer: 'https://id.example.com' });
  jwtAuthenticator({ secret: 'a shared secret of at least 32 bytes' });
}
