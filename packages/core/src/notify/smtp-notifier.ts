import { BackupError } from '../errors.js';
import { formatSubject, formatText } from './format-message.js';
import type { NotificationMessage, Notifier } from './notifier.js';

/** The subset of a nodemailer transporter the SMTP notifier uses (so a ready one can be passed). */
export interface MailTransport {
  sendMail(mail: {
    from: string;
    to: string[];
    subject: string;
    text: string;
    headers?: Record<string, string>;
  }): Promise<unknown>;
  close?(): void;
}

export interface SmtpConnectionOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Refuse to send unless STARTTLS succeeds. */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  tls?: { rejectUnauthorized?: boolean };
  /** Connection, greeting and socket timeout. Default 10 s, so a dead server fails fast. */
  timeoutMs?: number;
}

export type SmtpNotifierOptions = ({ transport: MailTransport } | SmtpConnectionOptions) & {
  /** Sender address, e.g. `Backups <backups@example.com>`. */
  from: string;
  /** Used when a job lists no recipients. */
  defaultRecipients?: string[];
  subjectPrefix?: string;
};

/**
 * Sends notifications as plain-text mail through nodemailer. Delivery errors become
 * `BackupError`s: `authentication_failed` (bad SMTP login), `unavailable` (server down, timeout),
 * `invalid_backup_config` (no recipients), `internal_error` otherwise. The SMTP password never
 * appears in them.
 */
export class SmtpNotifier implements Notifier {
  readonly channel = 'smtp';
  #transport: Promise<MailTransport> | null = null;
  readonly #options: SmtpNotifierOptions;
  readonly #from: string;
  readonly #defaultRecipients: string[];
  readonly #subjectPrefix: string | undefined;

  constructor(options: SmtpNotifierOptions) {
    this.#options = options;
    this.#from = options.from;
    this.#defaultRecipients = options.defaultRecipients ?? [];
    this.#subjectPrefix = options.subjectPrefix;
    if ('transport' in options) this.#transport = Promise.resolve(options.transport);
  }

  // nodemailer loads on first use: it is a third of the package's import time (~50 ms of
  // ~150), paid by every user otherwise, mail or not.
  #transportOf(): Promise<MailTransport> {
    this.#transport ??= createSmtpTransport(this.#options as SmtpConnectionOptions);
    return this.#transport;
  }

  async send(message: NotificationMessage): Promise<void> {
    const to = message.recipients.length > 0 ? message.recipients : this.#defaultRecipients;
    if (to.length === 0) {
      throw new BackupError('invalid_backup_config', 'No notification recipients configured', {
        details: { field: 'notifications.recipients', job_id: message.job_id },
      });
    }
    try {
      const transport = await this.#transportOf();
      await transport.sendMail({
        from: this.#from,
        to,
        subject: formatSubject(message, this.#subjectPrefix),
        text: formatText(message),
        headers: { 'X-Backupkit-Job': message.job_id, 'X-Backupkit-Outcome': message.outcome },
      });
    } catch (cause) {
      throw smtpError(cause);
    }
  }

  async close(): Promise<void> {
    // A transport that never came up (nodemailer failed to load) has nothing to close.
    const transport = await this.#transport?.catch(() => null);
    transport?.close?.();
  }
}

async function createSmtpTransport(options: SmtpConnectionOptions): Promise<MailTransport> {
  const { createTransport } = await import('nodemailer');
  const timeout = options.timeoutMs ?? 10_000;
  return createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? false,
    requireTLS: options.requireTLS ?? false,
    ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.pass } } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
}

function smtpError(cause: unknown): BackupError {
  const code =
    typeof cause === 'object' && cause !== null ? String((cause as { code?: unknown }).code ?? '') : '';
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (code === 'EAUTH') {
    return new BackupError('authentication_failed', 'SMTP server refused the login', {
      cause,
      details: { smtp_code: code },
    });
  }
  if (['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'EGREETING'].includes(code)) {
    return new BackupError('unavailable', `SMTP server unreachable: ${reason}`, {
      cause,
      details: { smtp_code: code },
    });
  }
  return new BackupError('internal_error', `SMTP delivery failed: ${reason}`, {
    cause,
    details: { smtp_code: code },
  });
}
