import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import {
  isBackupError,
  SmtpNotifier,
  type View,
  verifyWebhookSignature,
  WebhookNotifier,
} from '@backupkit/core';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from '../service/helpers.js';

async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('notifications through the service, on real servers', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a backup notifies by SMTP and webhook; a down SMTP server is recorded and does not fail the backup', async () => {
    const mails: Array<{ to: string[]; raw: string }> = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

    const hooks: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const http = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));

    const secret = 'hook-secret-123';
    const ctx = await makeService({
      notifiers: [
        new SmtpNotifier({
          host: '127.0.0.1',
          port: await freePort(),
          from: 'backups@example.com',
          timeoutMs: 2000,
        }),
        new SmtpNotifier({
          host: '127.0.0.1',
          port: (smtp.server.address() as AddressInfo).port,
          from: 'backups@example.com',
        }),
        new WebhookNotifier({
          url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks/backup`,
          secret,
        }),
      ],
    });
    cleanups.push(ctx.cleanup);
    const source = await tempDir('notify-svc');
    cleanups.push(() => rm(source, { recursive: true, force: true }));
    await makeTree(source, 6);
    const failures: Array<{ channel: string; code: string }> = [];
    ctx.service.on('notification.failed', (e) =>
      failures.push({
        channel: e.channel,
        code: isBackupError(e.error) ? e.error.code : 'not a BackupError',
      }),
    );

    const job = await ctx.service.createJob(
      fsJob(source, {
        job_name: 'Nightly files',
        notifications: {
          on_success: true,
          on_failure: true,
          on_warning: false,
          recipients: ['ops@delivery.com'],
        },
      }),
    );
    const run = await ctx.service.executeJob(String(job.job_id));
    const status = await ctx.service.waitFor(String(run.execution_id));
    expect(status.status).toBe('completed');
    await expect.poll(() => hooks.length + mails.length + failures.length, { timeout: 15_000 }).toBe(3);

    expect(failures).toEqual([{ channel: 'smtp', code: 'unavailable' }]);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(['ops@delivery.com']);
    expect(mails[0]?.raw).toContain('Subject: [backupkit] Backup succeeded: Nightly files');
    const hook = hooks[0];
    const payload = JSON.parse(hook?.body ?? '{}') as View;
    expect(payload).toMatchObject({
      event: 'backup.success',
      job_id: job.job_id,
      execution_id: run.execution_id,
    });
    expect(
      verifyWebhookSignature(secret, hook?.body ?? '', String(hook?.headers['x-backupkit-signature'])),
    ).toBe(true);
    // The backup stands: listed and completed, whatever happened to the notifications.
    const listed = await ctx.service.listBackups({ job_id: job.job_id });
    expect(listed.total).toBe(1);
  });
});
