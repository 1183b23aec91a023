import path from 'node:path';
import {
  BackupError,
  type CatalogRepository,
  createPostgresCatalog,
  createSqliteCatalog,
  LocalKeyProvider,
} from '@backupkit/core';
import {
  type Authenticate,
  anyOf,
  apiTokenAuthenticator,
  jwtAuthenticator,
  parseApiTokens,
} from '@backupkit/http-adapter';

/** Everything the server needs, read from the environment only (see README.md). */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  catalog: CatalogRepository;
  storageDir: string;
  keys: LocalKeyProvider;
  secretKey: Buffer | undefined;
  authenticate: Authenticate;
  /** Values never to let out: API tokens, the JWT secret, master key material. */
  secrets: string[];
  s3: { endpoint?: string; region?: string; forcePathStyle: boolean };
  gcs: { apiEndpoint?: string; projectId?: string };
}

function fail(variable: string, message: string): never {
  throw new BackupError('invalid_backup_config', `${variable}: ${message}`, { details: { variable } });
}

/**
 * Reads PORT, HOST, BACKUPKIT_* variables.
 * @throws BackupError `invalid_backup_config` naming the variable (never its secret value).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT', 'must be a port number');
  const dataDir = path.resolve(env.BACKUPKIT_DATA_DIR ?? './.backupkit');

  const catalogUrl = env.BACKUPKIT_CATALOG_URL ?? path.join(dataDir, 'catalog.db');
  const catalog = /^postgres(ql)?:\/\//i.test(catalogUrl)
    ? createPostgresCatalog({ connectionString: catalogUrl })
    : createSqliteCatalog({ path: path.resolve(catalogUrl) });

  const keys = LocalKeyProvider.fromEnv(env.BACKUPKIT_KEYS ?? '');
  const keyMaterial = (env.BACKUPKIT_KEYS ?? '')
    .split(',')
    .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
    .filter((value) => value.length > 0);

  let secretKey: Buffer | undefined;
  if (env.BACKUPKIT_SECRET_KEY) {
    secretKey = Buffer.from(env.BACKUPKIT_SECRET_KEY, 'base64');
    if (secretKey.length !== 32) fail('BACKUPKIT_SECRET_KEY', 'must be base64 of exactly 32 bytes');
  }

  const tokens = parseApiTokens(env.BACKUPKIT_API_TOKENS ?? '');
  const authenticators: Authenticate[] = [apiTokenAuthenticator(tokens)];
  const jwtSecret = env.BACKUPKIT_JWT_SECRET;
  if (jwtSecret !== undefined && jwtSecret !== '') {
    if (Buffer.byteLength(jwtSecret) < 32)
      fail('BACKUPKIT_JWT_SECRET', 'must be at least 32 bytes for HS256');
    authenticators.push(jwtAuthenticator({ secret: jwtSecret, algorithms: ['HS256'] }));
  }
  if (tokens.size === 0 && !jwtSecret) {
    fail(
      'BACKUPKIT_API_TOKENS',
      'set API tokens or BACKUPKIT_JWT_SECRET: every endpoint but health needs a principal',
    );
  }

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    catalog,
    storageDir: path.resolve(env.BACKUPKIT_STORAGE_DIR ?? path.join(dataDir, 'storage')),
    keys,
    secretKey,
    authenticate: anyOf(...authenticators),
    secrets: [...tokens.keys(), ...keyMaterial, ...(jwtSecret ? [jwtSecret] : [])],
    s3: {
      ...(env.BACKUPKIT_S3_ENDPOINT ? { endpoint: env.BACKUPKIT_S3_ENDPOINT } : {}),
      ...(env.BACKUPKIT_S3_REGION ? { region: env.BACKUPKIT_S3_REGION } : {}),
      forcePathStyle: env.BACKUPKIT_S3_FORCE_PATH_STYLE === 'true',
    },
    gcs: {
      ...(env.BACKUPKIT_GCS_ENDPOINT ? { apiEndpoint: env.BACKUPKIT_GCS_ENDPOINT } : {}),
      ...(env.BACKUPKIT_GCS_PROJECT ? { projectId: env.BACKUPKIT_GCS_PROJECT } : {}),
    },
  };
}
