import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../../../test-support/prometheus-text.js';
import { type RunningExample, startExample } from './support/example-process.js';

// The example servers turn metrics and the analytics page on from their environment:
// BACKUPKIT_METRICS (off | on | public) and BACKUPKIT_UI (true | false).

const admin = randomBytes(16).toString('hex');
const operator = randomBytes(16).toString('hex');

async function start(
  name: string,
  env: Record<string, string>,
): Promise<{ example: RunningExample; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-example-monitoring-'));
  const example = await startExample(name, {
    PORT: '0',
    BACKUPKIT_DATA_DIR: dir,
    BACKUPKIT_API_TOKENS: `${admin}:root:admin,${operator}:ops`,
    ...env,
  });
  return { example, dir };
}

const get = (url: string, token?: string) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('example servers: BACKUPKIT_METRICS and BACKUPKIT_UI', () => {
  const running: Array<{ example: RunningExample; dir: string }> = [];
  afterAll(async () => {
    for (const { example, dir } of running) {
      await example.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('express, METRICS=on, UI=true', () => {
    let url: string;
    beforeAll(async () => {
      const server = await start('express-server', { BACKUPKIT_METRICS: 'on', BACKUPKIT_UI: 'true' });
      running.push(server);
      url = server.example.url;
    }, 120_000);

    it('serves metrics to admins only, in the text exposition format', async () => {
      expect((await get(`${url}/metrics`)).status).toBe(401);
      expect((await get(`${url}/metrics`, operator)).status).toBe(403);
      const response = await get(`${url}/metrics`, admin);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheus(await response.text());
      expect([...families.keys()]).toEqual(
        expect.arrayContaining(['backupkit_executions', 'backupkit_executions_total']),
      );
    });

    it('serves the analytics page', async () => {
      const page = await get(`${url}/ui`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<html');
    });
  });

  describe('fastify, METRICS=public, UI unset', () => {
    let url: string;
    beforeAll(async () => {
      const server = await start('fastify-server', { BACKUPKIT_METRICS: 'public' });
      running.push(server);
      url = server.example.url;
    }, 120_000);

    it('lets a scraper in without credentials; the page stays off', async () => {
      const response = await get(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(parsePrometheus(await response.text()).has('backupkit_executions')).toBe(true);
      expect((await get(`${url}/ui`)).status).toBe(404);
    });
  });

  it('refuses a bad value, naming the variable', async () => {
    await expect(start('express-server', { BACKUPKIT_METRICS: 'yes' })).rejects.toThrow(/BACKUPKIT_METRICS/);
  });
});
