import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type RunningExample, startExample } from '../support/example-process.js';
import { pollUntil } from '../support/fixture.js';
import { type ApiReply, call } from '../support/servers.js';

export type Json = Record<string, unknown>;

/** The principals of the attack: two operators, a viewer of alice's objects, and an admin. */
export interface Tokens {
  alice: string;
  bob: string;
  aliceViewer: string;
  admin: string;
}

/**
 * The Express example server as an operator would deploy it, configured only by environment
 * variables, with the directories an attacker would aim at laid out around it: a data
 * directory and storage root (never readable nor writable through the API), one source root
 * and one restore root (the only directories the API may touch), and a directory outside
 * both holding a sentinel file.
 */
export interface SecureExample {
  url: string;
  tokens: Tokens;
  /** `<tmp>/data`: catalog, secret.key. */
  dataDir: string;
  /** `<tmp>/storage`: local destinations. */
  storageDir: string;
  sourceRoot: string;
  restoreRoot: string;
  /** Outside every root; holds `secret.txt` with `outsideSentinel`. */
  outsideDir: string;
  outsideSentinel: string;
  /** Every response body this helper's `as` calls received. */
  replies: string[];
  output(): string;
  /** Calls the API as one of the principals. */
  as(who: keyof Tokens, method: string, route: string, body?: unknown): Promise<ApiReply>;
  /** Waits until an execution, restore or verification reaches a final state. */
  settle(who: keyof Tokens, route: string): Promise<Json>;
  /** The catalog's bytes as stored (database file and write-ahead log). */
  catalogBytes(): Promise<Buffer>;
  stop(): Promise<void>;
}

export async function startSecureExample(env: Record<string, string> = {}): Promise<SecureExample> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-security-'));
  const tokens: Tokens = {
    alice: `tok-alice-${randomBytes(12).toString('hex')}`,
    bob: `tok-bob-${randomBytes(12).toString('hex')}`,
    aliceViewer: `tok-view-${randomBytes(12).toString('hex')}`,
    admin: `tok-root-${randomBytes(12).toString('hex')}`,
  };
  const layout = {
    dataDir: path.join(dir, 'data'),
    storageDir: path.join(dir, 'storage'),
    sourceRoot: path.join(dir, 'sources'),
    restoreRoot: path.join(dir, 'restores'),
    outsideDir: path.join(dir, 'outside'),
  };
  for (const directory of Object.values(layout)) await mkdir(directory, { recursive: true });
  const outsideSentinel = `OUTSIDE-SENTINEL-${randomBytes(8).toString('hex')}`;
  await writeFile(path.join(layout.outsideDir, 'secret.txt'), outsideSentinel);

  const example: RunningExample = await startExample('express-server', {
    PORT: '0',
    BACKUPKIT_DATA_DIR: layout.dataDir,
    BACKUPKIT_STORAGE_DIR: layout.storageDir,
    BACKUPKIT_KEYS: `main-key:${randomBytes(32).toString('base64')}`,
    // alice and bob carry no roles: existing configurations keep working, as operators.
    BACKUPKIT_API_TOKENS: [
      `${tokens.alice}:alice`,
      `${tokens.bob}:bob`,
      `${tokens.aliceViewer}:alice:viewer`,
      `${tokens.admin}:root:admin`,
    ].join(','),
    BACKUPKIT_SOURCE_ROOTS: layout.sourceRoot,
    BACKUPKIT_RESTORE_ROOTS: layout.restoreRoot,
    // Refused calls count against the limits too; these suites make many on purpose.
    BACKUPKIT_RATE_LIMITS: 'job_creation:200,execution:200,restore_creation:200,verification:200',
    ...env,
  });
  const replies: string[] = [];
  const as = async (who: keyof Tokens, method: string, route: string, body?: unknown) => {
    const reply = await call(example.url, method, route, {
      token: tokens[who],
      ...(body === undefined ? {} : { body }),
    });
    replies.push(reply.text);
    return reply;
  };
  return {
    url: example.url,
    tokens,
    ...layout,
    outsideSentinel,
    replies,
    output: example.output,
    as,
    settle: (who, route) =>
      pollUntil(
        async () => (await as(who, 'GET', route)).body as Json,
        (value) => !['queued', 'running'].includes(String(value.status)),
      ),
    // The SQLite catalog with its write-ahead log, where the newest rows may still sit.
    catalogBytes: async () =>
      Buffer.concat(
        await Promise.all(
          ['catalog.db', 'catalog.db-wal'].map((name) =>
            readFile(path.join(layout.dataDir, name)).catch(() => Buffer.alloc(0)),
          ),
        ),
      ),
    stop: async () => {
      await example.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A directory job body, stored in its own local destination. */
export function directoryJob(sourcePath: string, extra: Json = {}): Json {
  return {
    job_name: 'files',
    source: { type: 'filesystem', path: sourcePath },
    destination: { type: 'local', path: `files/${randomBytes(4).toString('hex')}` },
    ...extra,
  };
}

/** Runs a job to completion and returns its backup id. */
export async function backupNow(example: SecureExample, who: keyof Tokens, jobId: string): Promise<string> {
  const run = await example.as(who, 'POST', `/jobs/${jobId}/execute`, {});
  if (run.status !== 202) throw new Error(`execute: ${run.status} ${run.text}`);
  const status = await example.settle(who, `/jobs/${jobId}/status`);
  if (status.status !== 'completed') throw new Error(`backup: ${JSON.stringify(status)}`);
  return (status.result as Json).backup_id as string;
}
