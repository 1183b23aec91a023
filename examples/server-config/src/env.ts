import path from 'node:path';
import {
  type AccessPolicy,
  allowDatabaseHosts,
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
  DEFAULT_RATE_LIMITS,
  jwtAuthenticator,
  parseApiTokens,
  type RateLimitBucket,
  type RateLimitOptions,
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
  /** What jobs and restores may touch: directory roots, per-job endpoints, database hosts. */
  access: AccessPolicy;
  /** Per-principal limits that differ from the defaults. */
  rateLimits: RateLimitOptions;
  s3: { endpoint?: string; region?: string; forcePathStyle: boolean };
  gcs: { apiEndpoint?: string; projectId?: string };
  /** `GET /backup/metrics`: off, behind the API's auth (admins), or open to any scraper. */
  metrics: 'off' | 'on' | 'public';
  /** Serve the analytics page at `GET /backup/ui`. */
  ui: boolean;
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

  const metrics = env.BACKUPKIT_METRICS ?? 'off';
  if (metrics !== 'off' && metrics !== 'on' && metrics !== 'public') {
    fail('BACKUPKIT_METRICS', 'must be off, on or public');
  }
  const ui = env.BACKUPKIT_UI ?? 'false';
  if (ui !== 'true' && ui !== 'false') fail('BACKUPKIT_UI', 'must be true or false');

  return {
    port,
    metrics,
    ui: ui === 'true',
    access: accessFromEnv(env),
    rateLimits: rateLimitsFromEnv(env.BACKUPKIT_RATE_LIMITS),
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

/** Comma-separated values, trimmed, empty ones dropped. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function absolutePaths(variable: string, value: string | undefined): string[] {
  return list(value).map((item) => {
    if (!path.isAbsolute(item)) fail(variable, 'must list absolute directory paths');
    return item;
  });
}

/**
 * The access policy from BACKUPKIT_SOURCE_ROOTS, BACKUPKIT_RESTORE_ROOTS,
 * BACKUPKIT_ALLOW_EXTERNAL_SYMLINKS, BACKUPKIT_ALLOWED_ENDPOINTS, BACKUPKIT_DATABASE_HOSTS and
 * BACKUPKIT_MIN_SCHEDULE_INTERVAL. Unset, directories and per-job endpoints are refused and
 * any database host is allowed.
 */
function accessFromEnv(env: NodeJS.ProcessEnv): AccessPolicy {
  const endpoints = new Set(
    list(env.BACKUPKIT_ALLOWED_ENDPOINTS).map((item) => {
      try {
        return new URL(item).origin;
      } catch {
        return fail('BACKUPKIT_ALLOWED_ENDPOINTS', 'must list URLs such as http://127.0.0.1:9000');
      }
    }),
  );
  const databaseHosts = list(env.BACKUPKIT_DATABASE_HOSTS);
  const minInterval = env.BACKUPKIT_MIN_SCHEDULE_INTERVAL;
  if (minInterval !== undefined && !/^\d+$/.test(minInterval)) {
    fail('BACKUPKIT_MIN_SCHEDULE_INTERVAL', 'must be a whole number of seconds');
  }
  return {
    sourceRoots: absolutePaths('BACKUPKIT_SOURCE_ROOTS', env.BACKUPKIT_SOURCE_ROOTS),
    restoreRoots: absolutePaths('BACKUPKIT_RESTORE_ROOTS', env.BACKUPKIT_RESTORE_ROOTS),
    allowExternalSymlinks: env.BACKUPKIT_ALLOW_EXTERNAL_SYMLINKS === 'true',
    allowEndpoint: (url) => endpoints.has(url.origin),
    ...(databaseHosts.length > 0 ? { allowDatabase: allowDatabaseHosts(databaseHosts) } : {}),
    ...(minInterval !== undefined ? { minScheduleIntervalSeconds: Number(minInterval) } : {}),
  };
}

/**
 * BACKUPKIT_RATE_LIMITS: `bucket:limit` (per hour), `bucket:limit/seconds` or `bucket:off`,
 * comma-separated, e.g. `job_creation:20,restore_creation:10/600`.
 */
function rateLimitsFromEnv(value: string | undefined): RateLimitOptions {
  const out: RateLimitOptions = {};
  for (const entry of list(value)) {
    const match = /^([a-z_]+):(?:(off)|(\d+)(?:\/(\d+))?)$/.exec(entry);
    const bucket = match?.[1] as RateLimitBucket | undefined;
    if (!match || !bucket || !(bucket in DEFAULT_RATE_LIMITS)) {
      fail(
        'BACKUPKIT_RATE_LIMITS',
        `entries are bucket:limit[/seconds] or bucket:off, buckets ${Object.keys(DEFAULT_RATE_LIMITS).join(', ')}`,
      );
    }
    out[bucket] = match[2]
      ? false
      : { limit: Number(match[3]), windowSeconds: match[4] ? Number(match[4]) : 3600 };
  }
  return out;
}
