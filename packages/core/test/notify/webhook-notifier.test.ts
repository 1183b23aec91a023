import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  dispatchNotification,
  ManualClock,
  type NotificationMessage,
  signWebhookPayload,
  verifyWebhookSignature,
  WebhookNotifier,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'whsec_test_shared_secret';

const message: NotificationMessage = {
  kind: 'backup',
  outcome: 'failure',
  job_id: 'job_abc',
  job_name: 'Nightly files',
  execution_id: 'exec_9',
  backup_id: null,
  started_at: '2024-01-15T02:00:00.000Z',
  completed_at: '2024-01-15T02:00:04.000Z',
  duration: 4,
  error: { code: 'source_unreachable', message: 'no such directory' },
  recipients: ['ops@delivery.com'],
};

describe('WebhookNotifier against a real HTTP receiver', () => {
  const received: Array<{ headers: IncomingHttpHeaders; body: string; path: string }> = [];
  let failNext = 0;
  let url = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: req.url ?? '',
      });
      if (req.url === '/forbidden') res.writeHead(403).end();
      else if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
      } else res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs the JSON notification with a valid HMAC-SHA256 signature', async () => {
    const clock = new ManualClock('2024-01-15T02:00:05Z');
    await new WebhookNotifier({ url: `${url}/hook`, secret: SECRET, clock }).send(message);
    const got = received.at(-1);
    expect(got?.path).toBe('/hook');
    expect(got?.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(got?.body ?? '{}');
    expect(payload).toMatchObject({
      event: 'backup.failure',
      sent_at: '2024-01-15T02:00:05.000Z',
      job_id: 'job_abc',
      error: { code: 'source_unreachable' },
      recipients: ['ops@delivery.com'],
    });
    const signature = String(got?.headers['x-backupkit-signature']);
    expect(signature).toBe(signWebhookPayload(SECRET, got?.body ?? '', 1705284005));
    expect(verifyWebhookSignature(SECRET, got?.body ?? '', signature, { now: clock.now() })).toBe(true);
    // Tampered body, wrong secret, or a replay long after: refused.
    expect(verifyWebhookSignature(SECRET, `${got?.body} `, signature, { now: clock.now() })).toBe(false);
    expect(verifyWebhookSignature('other', got?.body ?? '', signature, { now: clock.now() })).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, got?.body ?? '', signature, { now: new Date('2024-01-15T03:00:00Z') }),
    ).toBe(false);
    expect(got?.body).not.toContain(SECRET);
  });

  it('retries a 503 and then succeeds', async () => {
    failNext = 1;
    const before = received.length;
    await new WebhookNotifier({ url: `${url}/hook`, secret: SECRET, retries: 2 }).send(message);
    expect(received.length - before).toBe(2);
  });

  it('403 is access_denied; a dead receiver is unavailable; the dispatcher records both and resolves', async () => {
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/hook`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));

    const deliveries = await dispatchNotification(
      [
        new WebhookNotifier({ url: `${url}/forbidden`, secret: SECRET }),
        new WebhookNotifier({ url: deadUrl, secret: SECRET, retries: 1 }),
        new WebhookNotifier({ url: `${url}/ok`, secret: SECRET }),
      ],
      { on_failure: true },
      message,
    );
    expect(deliveries.map((d) => [d.ok, d.error?.code])).toEqual([
      [false, 'access_denied'],
      [false, 'unavailable'],
      [true, undefined],
    ]);
  });
});
