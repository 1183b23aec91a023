import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type BackupService,
  type BackupServiceOptions,
  type CatalogRepository,
  createBackupService,
  createSqliteCatalog,
  LocalKeyProvider,
} from '@backupkit/core';
import { apiTokenAuthenticator, type BackupHandlerOptions } from '@backupkit/http-adapter';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';

/** Sentinel secrets: none of them may ever appear in a response, a log line or an audit entry. */
export const SENTINEL = {
  password: `pw-SENTINEL-${randomBytes(6).toString('hex')}`,
  tokenAlice: `tok-alice-SENTINEL-${randomBytes(8).toString('hex')}`,
  tokenBob: `tok-bob-SENTINEL-${randomBytes(8).toString('hex')}`,
  keyMaterial: randomBytes(32).toString('base64'),
};

export const KEY_ID = 'test-key';

export interface Fixture {
  service: BackupService;
  catalog: CatalogRepository;
  dir: string;
  logLines: string[];
  handlerOptions(extra?: Partial<BackupHandlerOptions>): BackupHandlerOptions;
  close(): Promise<void>;
}

/** A real service on a SQLite catalog and local storage in a temp dir, with the sentinel key. */
export async function createFixture(
  catalog?: CatalogRepository,
  options: { secretKey?: Buffer; service?: Partial<BackupServiceOptions> } = {},
): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-http-'));
  const cat = catalog ?? createSqliteCatalog({ path: path.join(dir, 'catalog.db') });
  const logLines: string[] = [];
  const logger = {
    debug: (msg: string, fields?: Record<string, unknown>) =>
      logLines.push(JSON.stringify({ msg, ...fields })),
    info: (msg: string, fields?: Record<string, unknown>) =>
      logLines.push(JSON.stringify({ msg, ...fields })),
    warn: (msg: string, fields?: Record<string, unknown>) =>
      logLines.push(JSON.stringify({ msg, ...fields })),
    error: (msg: string, fields?: Record<string, unknown>) =>
      logLines.push(JSON.stringify({ msg, ...fields })),
  };
  const service = createBackupService({
    catalog: cat,
    dataDir: dir,
    storage: { localRoot: path.join(dir, 'storage') },
    access: { sourceRoots: [os.tmpdir()], restoreRoots: [os.tmpdir()] },
    keys: LocalKeyProvider.fromEnv(`${KEY_ID}:${SENTINEL.keyMaterial}`),
    secretKey: options.secretKey ?? randomBytes(32),
    logger,
    progressIntervalMs: 50,
    // The management test applies retention through the API, so not after each backup.
    retentionAfterBackup: false,
    ...options.service,
  });
  return {
    service,
    catalog: cat,
    dir,
    logLines,
    handlerOptions: (extra = {}) => ({
      service,
      catalog: cat,
      authenticate: apiTokenAuthenticator({ [SENTINEL.tokenAlice]: 'alice', [SENTINEL.tokenBob]: 'bob' }),
      publicActions: ['health', 'openapi'],
      secrets: [SENTINEL.keyMaterial],
      logger,
      ...extra,
    }),
    close: async () => {
      await service.stop({ cancelRunning: true });
      await cat.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A source database with a few related tables and some awkward values. */
export async function createSourceDatabase(rows = 2000): Promise<TempDatabase> {
  const db = await createTempDatabase('bk_http_src');
  await withClient(db.url, async (client) => {
    await client.query(`
      CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, tags text[], created_at timestamptz DEFAULT now());
      CREATE TABLE deliveries (id bigserial PRIMARY KEY, user_id int REFERENCES users(id), payload jsonb, amount numeric(12,2));
      INSERT INTO users (name, email, tags)
        SELECT 'user ' || g || E' tab\\there; DROP TABLE x; --', 'u' || g || '@example.com', ARRAY['a', 'b''' || g]
        FROM generate_series(1, ${rows}) g;
      INSERT INTO deliveries (user_id, payload, amount)
        SELECT 1 + (g % ${rows}), jsonb_build_object('n', g, 's', repeat('x', g % 50)), g * 1.25
        FROM generate_series(1, ${rows * 2}) g;
    `);
  });
  return db;
}

/** `postgres://postgres:<sentinel>@…`: trust auth ignores the password, so it is only a sentinel. */
export function withPassword(url: string, password = SENTINEL.password): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** Content fingerprint of every table, to compare a source and its restore. */
export async function fingerprint(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const out: Record<string, string> = {};
    for (const table of ['users', 'deliveries']) {
      const { rows } = await client.query(
        `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS h FROM ${table} t`,
      );
      out[table] = `${rows[0].n}:${rows[0].h}`;
    }
    return out;
  });
}

/** Polls `fetch()` until `done(value)` holds (or throws after `timeoutMs`). */
export async function pollUntil<T>(
  fetch: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fetch();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await fetch();
  }
  return last;
}
