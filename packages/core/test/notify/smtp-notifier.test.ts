import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { dispatchNotification, type NotificationMessage, SmtpNotifier } from '@backupkit/core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** Minimal quoted-printable decoding so assertions read the text a person would see. */
function decodeBody(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

const message: NotificationMessage = {
  kind: 'backup',
  outcome: 'success',
  job_id: 'job_abc',
  job_name: 'Daily Database Backup',
  execution_id: 'exec_1',
  backup_id: 'backup_1',
  trigger: 'schedule',
  started_at: '2024-01-15T02:00:00.000Z',
  completed_at: '2024-01-15T02:03:25.000Z',
  duration: 205,
  logical_size: 1_610_612_736,
  file_size: 314_572_800,
  new_bytes: 10_485_760,
  recipients: ['admin@delivery.com', 'ops@delivery.com'],
};

describe('SmtpNotifier against a real SMTP server', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 's3cret-smtp-pass')
          callback(null, { user: 'mailer' });
        else callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a readable message: job, outcome, sizes, duration', async () => {
    const notifier = new SmtpNotifier({ host: '127.0.0.1', port, from: 'backups@example.com' });
    await notifier.send(message);
    await notifier.close();
    const mail = received.at(-1);
    expect(mail?.from).toBe('backups@example.com');
    expect(mail?.to).toEqual(['admin@delivery.com', 'ops@delivery.com']);
    const text = decodeBody(mail?.raw ?? '');
    expect(text).toContain('Subject: [backupkit] Backup succeeded: Daily Database Backup');
    expect(text).toContain('Job:             Daily Database Backup (job_abc)');
    expect(text).toContain('Duration:        3m 25s');
    expect(text).toContain('Data size:       1.50 GiB');
    expect(text).toContain('Stored size:     300.0 MiB');
    expect(text).toContain('New data stored: 10.0 MiB');
    expect(text).toContain('X-Backupkit-Job: job_abc');
  });

  it('a failure mail carries the error, with any password in it masked', async () => {
    const notifier = new SmtpNotifier({
      host: '127.0.0.1',
      port,
      from: 'backups@example.com',
      auth: { user: 'mailer', pass: 's3cret-smtp-pass' },
    });
    await notifier.send({
      ...message,
      outcome: 'failure',
      backup_id: null,
      error: {
        code: 'source_unreachable',
        message: 'connect ECONNREFUSED postgresql://app:hunter2@db:5432/x',
      },
    });
    const text = decodeBody(received.at(-1)?.raw ?? '');
    expect(text).toContain('Subject: [backupkit] Backup FAILED: Daily Database Backup');
    expect(text).toContain('Error (source_unreachable):');
    expect(text).toContain('postgresql://app:***@db:5432/x');
    expect(text).not.toContain('hunter2');
  });

  it('a wrong SMTP password fails with authentication_failed and never shows the password', async () => {
    const notifier = new SmtpNotifier({
      host: '127.0.0.1',
      port,
      from: 'backups@example.com',
      auth: { user: 'mailer', pass: 'wrong-pass-xyz' },
    });
    const error = await notifier.send(message).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'authentication_failed' });
    expect(JSON.stringify(error)).not.toContain('wrong-pass-xyz');
    expect(String((error as Error).message)).not.toContain('wrong-pass-xyz');
  });

  it('a down SMTP server: the dispatcher records the failure and resolves (never throws)', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const warnings: Array<Record<string, unknown> | undefined> = [];
    const failures: string[] = [];
    const deliveries = await dispatchNotification(
      [new SmtpNotifier({ host: '127.0.0.1', port: deadPort, from: 'backups@example.com', timeoutMs: 2000 })],
      { on_success: true, on_failure: true, recipients: ['admin@delivery.com'] },
      { ...message, recipients: [] },
      {
        logger: { warn: (_m, fields) => warnings.push(fields) },
        onFailure: (channel, e) => failures.push(`${channel}:${e.code}`),
      },
    );
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ channel: 'smtp', ok: false, error: { code: 'unavailable' } });
    expect(failures).toEqual(['smtp:unavailable']);
    expect(warnings[0]).toMatchObject({ channel: 'smtp', code: 'unavailable', job_id: 'job_abc' });
  });

  it('settings decide: no mail when on_success is false; job recipients fill an empty message', async () => {
    const before = received.length;
    const notifier = new SmtpNotifier({ host: '127.0.0.1', port, from: 'backups@example.com' });
    expect(await dispatchNotification([notifier], { on_success: false, on_failure: true }, message)).toEqual(
      [],
    );
    expect(received.length).toBe(before);
    const deliveries = await dispatchNotification(
      [notifier],
      { on_warning: true, recipients: ['oncall@delivery.com'] },
      { ...message, outcome: 'warning', warnings: ['table public.logs skipped'], recipients: [] },
    );
    expect(deliveries).toMatchObject([{ channel: 'smtp', ok: true }]);
    expect(received.at(-1)?.to).toEqual(['oncall@delivery.com']);
    expect(decodeBody(received.at(-1)?.raw ?? '')).toContain('  - table public.logs skipped');
  });
});
