import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TempDatabase } from '../../../test-support/postgres.js';
import {
  createFixture,
  createSourceDatabase,
  type Fixture,
  pollUntil,
  SENTINEL,
  withPassword,
} from './support/fixture.js';
import { type ApiServer, call, startExpress } from './support/servers.js';

// The analytics page in a real headless Chromium: it loads with the token, draws charts of the
// test service's real analytics, lists the recent executions, and shows an error on a 401.

type Json = Record<string, unknown>;
// What the page-side callbacks touch (the test compiles without the DOM library).
type Dataset = { dataset: Record<string, string | undefined> };
type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
};
const CHROMIUM = process.env.BACKUPKIT_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots the test takes, kept for a look after the run (ignored by git). */
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output');
const token = SENTINEL.tokenAlice;

let source: TempDatabase;
let fixture: Fixture;
let server: ApiServer;
let context: BrowserContext;
let profile: string;
const runs: Array<{ executionId: string; status: string }> = [];

async function runJob(jobId: string): Promise<void> {
  const run = (await call(server.url, 'POST', `/jobs/${jobId}/execute`, { token, body: {} })).body as Json;
  const status = await pollUntil(
    async () => (await call(server.url, 'GET', `/jobs/${jobId}/status`, { token })).body as Json,
    (value) =>
      value.execution_id === run.execution_id && !['queued', 'running'].includes(String(value.status)),
  );
  runs.push({ executionId: String(run.execution_id), status: String(status.status) });
}

beforeAll(async () => {
  source = await createSourceDatabase(300);
  fixture = await createFixture();
  server = await startExpress(fixture.handlerOptions({ ui: true }));
  const job = (
    await call(server.url, 'POST', '/jobs', {
      token,
      body: {
        job_name: 'Orders database',
        backup_type: 'incremental',
        source: { type: 'database', connection_string: withPassword(source.url) },
        destination: { type: 'local', path: 'page/orders/' },
        compression: { enabled: true, algorithm: 'zstd', level: 3 },
      },
    })
  ).body as Json;
  const missing = new URL(withPassword(source.url));
  missing.pathname = '/bk_http_page_no_such_database';
  const broken = (
    await call(server.url, 'POST', '/jobs', {
      token,
      body: {
        job_name: 'Broken database',
        backup_type: 'full',
        source: { type: 'database', connection_string: missing.toString() },
        destination: { type: 'local', path: 'page/broken/' },
      },
    })
  ).body as Json;
  // Two runs of one job (the second reuses chunks: a dedup ratio) and a failure.
  await runJob(String(job.job_id));
  await runJob(String(job.job_id));
  await runJob(String(broken.job_id));
  profile = await mkdtemp(path.join(os.tmpdir(), 'bk-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1600 },
  });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  await fixture?.close();
  await source?.drop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** The figures a chart lists under it: row label → its cells' values. */
async function chartData(page: Page, chart: string): Promise<Array<{ label: string; values: number[] }>> {
  return page.$$eval(`[data-chart="${chart}"] table.chart-data tbody tr`, (rows) =>
    rows.map((row) => ({
      label: (row as unknown as Dataset).dataset.label ?? '',
      values: [...row.querySelectorAll('td[data-value]')].map((cell) =>
        Number((cell as unknown as Dataset).dataset.value),
      ),
    })),
  );
}

describe('analytics page in headless Chromium', () => {
  test('with the token: charts of the real analytics and the recent executions', async () => {
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'failed']);
    const page = await context.newPage();
    const sent: Array<{ url: string; authorization: string | undefined }> = [];
    page.on('request', (request) =>
      sent.push({ url: request.url(), authorization: request.headers().authorization }),
    );
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    const shell = await page.goto(`${server.url}/ui`);
    expect(shell?.status()).toBe(200);
    expect(shell?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('#token', token);
    await page.click('#sign-in button[type="submit"]');
    await page.waitForSelector('body[data-loaded]');
    expect(await page.getAttribute('body', 'data-loaded')).toBe('true');
    expect(await page.isHidden('#error')).toBe(true);

    const analytics = (await call(server.url, 'GET', '/analytics', { token })).body as {
      overview: { total_backups: number; failed_backups: number };
      job_breakdown: Array<{
        job_name: string;
        average_duration: number;
        average_size: number;
        dedup_ratio: number;
        compression_ratio: number;
      }>;
      time_series: Array<{
        date: string;
        backups_created: number;
        successful_backups: number;
        storage_used: number;
      }>;
    };
    expect(analytics.overview.total_backups).toBe(3);

    // Five charts drawn by uPlot, each canvas with something painted on it.
    expect(await page.locator('.uplot').count()).toBe(5);
    const painted = await page.$$eval('.uplot canvas', (canvases) =>
      canvases.map((canvas) => {
        const c = canvas as unknown as Canvas;
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
        return inked;
      }),
    );
    expect(painted).toHaveLength(5);
    for (const inked of painted) expect(inked).toBeGreaterThan(100);

    // The figures are the analytics endpoint's.
    expect(await chartData(page, 'success-rate')).toEqual(
      analytics.time_series.map((d) => ({
        label: d.date,
        values: [d.successful_backups / d.backups_created],
      })),
    );
    const growth = await chartData(page, 'storage-growth');
    expect(growth.at(-1)?.values[0]).toBe(analytics.time_series.reduce((sum, d) => sum + d.storage_used, 0));
    expect(await chartData(page, 'duration')).toEqual(
      analytics.job_breakdown.map((j) => ({ label: j.job_name, values: [j.average_duration] })),
    );
    expect(await chartData(page, 'size')).toEqual(
      analytics.job_breakdown.map((j) => ({ label: j.job_name, values: [j.average_size] })),
    );
    const ratios = await chartData(page, 'ratios');
    expect(ratios).toEqual(
      analytics.job_breakdown.map((j) => ({
        label: j.job_name,
        values: [j.dedup_ratio, j.compression_ratio],
      })),
    );
    expect(ratios.find((r) => r.label === 'Orders database')?.values[0]).toBeGreaterThan(0);
    expect(await page.textContent('[data-metric="Backups"] .value')).toBe('3');
    expect(await page.textContent('[data-metric="Failed backups"] .value')).toBe('1');

    // The recent executions, newest first, with their statuses.
    const rows = await page.$$eval('#executions tbody tr', (trs) =>
      trs.map((tr) => ({
        id: (tr as unknown as Dataset).dataset.executionId,
        status: (tr as unknown as Dataset).dataset.status,
      })),
    );
    expect(rows).toEqual([...runs].reverse().map((run) => ({ id: run.executionId, status: run.status })));
    expect(await page.textContent(`#executions tr[data-status="failed"] .status`)).toBe('failed');

    // Every API call carried the token as the API's own Bearer auth; no other origin was asked.
    const apiCalls = sent.filter((r) => !r.url.includes('/ui'));
    expect(apiCalls.length).toBeGreaterThanOrEqual(4);
    for (const request of apiCalls) expect(request.authorization).toBe(`Bearer ${token}`);
    for (const request of sent) expect(request.url.startsWith(server.url)).toBe(true);
    expect(errors).toEqual([]);

    const shot = path.join(SHOTS, 'analytics-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');

    // The token stays for this tab: a reload shows the data again without asking.
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.locator('.uplot').count()).toBe(5);
    await page.close();
  });

  test('a token the API refuses (401): an error, not a blank page', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/ui`);
    await page.fill('#token', 'not-a-valid-token');
    await page.click('#sign-in button[type="submit"]');
    await page.waitForSelector('body[data-loaded="error"]');
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error')).toContain('401');
    expect(await page.getAttribute('#error', 'data-status')).toBe('401');
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.locator('.uplot').count()).toBe(0);
    // The refused token is not kept: a reload asks again instead of failing again.
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }
        ).sessionStorage.getItem('backupkit.token'),
      ),
    ).toBeNull();
    const shot = path.join(SHOTS, 'analytics-page-401.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });

  test('the page is off unless the host turns it on; its files carry no data', async () => {
    const plain = await startExpress(fixture.handlerOptions());
    try {
      expect((await call(plain.url, 'GET', '/ui')).status).toBe(404);
    } finally {
      await plain.close();
    }
    const shell = await call(server.url, 'GET', '/ui');
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toContain('text/html');
    expect(shell.text).toContain('/backup/ui/uplot.js');
    expect(shell.text).not.toContain('job_');
    const uplot = await call(server.url, 'GET', '/ui/uplot.js');
    expect(uplot.status).toBe(200);
    expect(uplot.text).toContain('uPlot');
    expect((await call(server.url, 'GET', '/ui/../package.json')).status).toBe(404);
    expect((await call(server.url, 'GET', '/ui/nothing.js')).status).toBe(404);
  });
});
