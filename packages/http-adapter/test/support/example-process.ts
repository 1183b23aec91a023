import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';
import { startFauxqs } from '../../../../test-support/servers/s3-servers.js';
import { fingerprint, pollUntil, withPassword } from './fixture.js';
import { call } from './servers.js';

type Json = Record<string, unknown>;

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface RunningExample {
  url: string;
  output: () => string;
  /** SIGTERM to the process group; resolves when all of it is gone. */
  stop(): Promise<number | null>;
}

/** Starts `pnpm --dir examples/<name> start` with `env`, resolving once it logs its URL. */
export async function startExample(name: string, env: Record<string, string>): Promise<RunningExample> {
  const child: ChildProcess = spawn('pnpm', ['--dir', `examples/${name}`, 'start'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  // 'close': every holder of the pipes (pnpm, tsx, the server) is gone
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      // the whole process group: pnpm, tsx and the server it runs
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
      return exited;
    },
  };
}

/**
 * The full flow against a running example, configured only through its environment:
 * job → execute → completed → listed → verified → restored, data identical; a local
 * destination lands under BACKUPKIT_STORAGE_DIR and cannot leave it; no secret in any output.
 */
export async function exampleFlow(name: string, source: TempDatabase): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bk-${name}-`));
  const target = await createTempDatabase('bk_example_dst');
  const password = `pw-SENTINEL-${randomBytes(6).toString('hex')}`;
  const token = `tok-SENTINEL-${randomBytes(8).toString('hex')}`;
  const keyMaterial = randomBytes(32).toString('base64');
  const jwtSecret = randomBytes(32).toString('hex');
  const storageDir = path.join(dir, 'storage');
  const example = await startExample(name, {
    PORT: '0',
    BACKUPKIT_DATA_DIR: path.join(dir, 'data'),
    BACKUPKIT_CATALOG_URL: path.join(dir, 'catalog.db'),
    BACKUPKIT_STORAGE_DIR: storageDir,
    BACKUPKIT_KEYS: `main-key:${keyMaterial}`,
    BACKUPKIT_API_TOKENS: `${token}:ops_admin`,
    BACKUPKIT_JWT_SECRET: jwtSecret,
  });
  const replies: string[] = [];
  const send = async (method: string, route: string, body?: unknown) => {
    const reply = await call(example.url, method, route, { token, ...(body === undefined ? {} : { body }) });
    replies.push(reply.text);
    return reply;
  };
  try {
    expect((await call(example.url, 'GET', '/health')).status).toBe(200);
    expect((await call(example.url, 'GET', '/jobs')).status).toBe(401);
    const created = await send('POST', '/jobs', {
      job_name: 'example',
      source: { type: 'database', connection_string: withPassword(source.url, password) },
      destination: { type: 'local', path: 'db/daily/' },
      encryption: { enabled: true, key_id: 'main-key' },
    });
    expect(created.status, created.text).toBe(201);
    const job = created.body as Json;
    expect(job.created_by).toBe('ops_admin');
    const escaping = await send('POST', '/jobs', {
      job_name: 'escape',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: '../../outside/' },
    });
    expect(escaping.status).toBe(400);

    expect((await send('POST', `/jobs/${job.job_id}/execute`, {})).status).toBe(202);
    const status = await pollUntil(
      async () => (await send('GET', `/jobs/${job.job_id}/status`)).body as Json,
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(status.status, JSON.stringify(status)).toBe('completed');
    const backupId = (status.result as Json).backup_id as string;
    expect(await readdir(path.join(storageDir, 'db', 'daily'))).toEqual(
      expect.arrayContaining(['repo.json']),
    );

    const files = (await send('GET', `/files?job_id=${job.job_id}`)).body as { files: Json[] };
    expect(files.files.map((file) => file.backup_id)).toEqual([backupId]);
    const verification = (await send('POST', `/backups/${backupId}/verify`, {})).body as Json;
    const verified = await pollUntil(
      async () => (await send('GET', `/verifications/${verification.verification_id}`)).body as Json,
      (value) => !['queued', 'running'].includes(String(value.status)),
    );
    expect(verified.status).toBe('passed');
    const restore = await send('POST', '/restores', {
      backup_id: backupId,
      destination: {
        type: 'database',
        connection_string: withPassword(target.url, password),
        overwrite_existing: true,
      },
    });
    expect(restore.status, restore.text).toBe(202);
    const restored = await pollUntil(
      async () => (await send('GET', `/restores/${(restore.body as Json).restore_id}/status`)).body as Json,
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(restored.status, JSON.stringify(restored)).toBe('completed');
    expect(await fingerprint(target.url)).toEqual(await fingerprint(source.url));

    await example.stop();
    expect(example.output(), example.output()).toContain('"msg":"stopped"');
    const everything = [...replies, example.output()].join('\n');
    expect(everything).toContain('"msg":"request"');
    for (const secret of [password, token, keyMaterial, jwtSecret]) expect(everything).not.toContain(secret);
  } finally {
    await example.stop();
    await target.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An `"type": "s3"` destination through the example's S3 settings (BACKUPKIT_S3_ENDPOINT,
 * BACKUPKIT_S3_REGION, BACKUPKIT_S3_FORCE_PATH_STYLE, the SDK's AWS_* credentials), against
 * a real S3-compatible server (fauxqs).
 */
export async function exampleS3Flow(name: string, source: TempDatabase): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bk-${name}-s3-`));
  const s3 = await startFauxqs();
  const token = `tok-${randomBytes(8).toString('hex')}`;
  let example: RunningExample | undefined;
  try {
    // path-style CreateBucket: a bare PUT
    expect((await fetch(`${s3.endpoint}/example-backups`, { method: 'PUT' })).status).toBe(200);
    example = await startExample(name, {
      PORT: '0',
      BACKUPKIT_DATA_DIR: path.join(dir, 'data'),
      BACKUPKIT_API_TOKENS: `${token}:ops_admin`,
      BACKUPKIT_S3_ENDPOINT: s3.endpoint,
      BACKUPKIT_S3_REGION: s3.region,
      BACKUPKIT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    });
    const created = await call(example.url, 'POST', '/jobs', {
      token,
      body: {
        job_name: 's3',
        source: { type: 'database', connection_string: source.url },
        destination: { type: 's3', bucket: 'example-backups', path: 'database/daily/', region: s3.region },
      },
    });
    expect(created.status, created.text).toBe(201);
    const jobId = (created.body as Json).job_id as string;
    expect((await call(example.url, 'POST', `/jobs/${jobId}/execute`, { token })).status).toBe(202);
    const status = await pollUntil(
      async () => (await call(example!.url, 'GET', `/jobs/${jobId}/status`, { token })).body as Json,
      (value) => value.status === 'completed' || value.status === 'failed',
    );
    expect(status.status, JSON.stringify(status)).toBe('completed');
    expect(String((status.result as Json).file_path)).toMatch(/^s3:\/\/example-backups\/database\/daily\//);
    const listing = await fetch(
      `${s3.endpoint}/example-backups?list-type=2&prefix=database/daily/snapshots/`,
    );
    expect(await listing.text()).toContain(String((status.result as Json).backup_id));
  } finally {
    await example?.stop();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}
