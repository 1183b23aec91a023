import { createHmac, timingSafeEqual } from 'node:crypto';
import { BackupError } from '../errors.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { NotificationMessage, Notifier } from './notifier.js';
import { maskSecrets } from './notifier.js';

export const WEBHOOK_SIGNATURE_HEADER = 'x-backupkit-signature';

export interface WebhookNotifierOptions {
  url: string;
  /** Shared secret for the HMAC-SHA256 signature. Never sent, logged or put in errors. */
  secret: string;
  headers?: Record<string, string>;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a network error, 429 or 5xx. Default 2. */
  retries?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (timestamped, so replays can be refused). */
export function signWebhookPayload(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * For receivers: true when `header` is a valid signature of `body` under `secret`, made within
 * `toleranceSeconds` (default 300) of `now`. Compares in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || given === undefined || !/^[0-9a-f]{64}$/.test(given)) return false;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

/**
 * POSTs each notification as JSON (`{ event, sent_at, ...message }`), signed in the
 * `X-Backupkit-Signature` header. Throws `BackupError('unavailable')` after the last retry of a
 * network error / 429 / 5xx, `access_denied` on 401/403, `internal_error` on another status.
 */
export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';
  readonly #options: WebhookNotifierOptions;

  constructor(options: WebhookNotifierOptions) {
    if (!/^https?:\/\//.test(options.url)) {
      throw new BackupError('invalid_backup_config', 'Webhook url must be http(s)', {
        details: { field: 'webhook.url' },
      });
    }
    this.#options = options;
  }

  async send(message: NotificationMessage, options: { signal?: AbortSignal } = {}): Promise<void> {
    const clock = this.#options.clock ?? systemClock;
    const now = clock.now();
    const body = JSON.stringify({
      event: `${message.kind}.${message.outcome}`,
      sent_at: now.toISOString(),
      ...message,
    });
    const signature = signWebhookPayload(this.#options.secret, body, Math.floor(now.getTime() / 1000));
    const doFetch = this.#options.fetch ?? fetch;
    const attempts = 1 + (this.#options.retries ?? 2);
    let last: BackupError | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await delay(200 * 2 ** (attempt - 1), options.signal);
      const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 10_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await doFetch(this.#options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'backupkit-webhook/1',
            [WEBHOOK_SIGNATURE_HEADER]: signature,
            ...this.#options.headers,
          },
          body,
          signal,
        });
      } catch (cause) {
        if (options.signal?.aborted)
          throw new BackupError('aborted', 'Webhook delivery cancelled', { cause });
        last = new BackupError(
          'unavailable',
          `Webhook unreachable: ${maskSecrets(String((cause as Error)?.message ?? cause))}`,
          {
            cause,
          },
        );
        continue;
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return;
      const details = { status: response.status };
      if (response.status === 429 || response.status >= 500) {
        last = new BackupError('unavailable', `Webhook answered ${response.status}`, { details });
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new BackupError('access_denied', `Webhook refused the request (${response.status})`, {
          details,
        });
      }
      throw new BackupError('internal_error', `Webhook answered ${response.status}`, { details });
    }
    throw last ?? new BackupError('unavailable', 'Webhook delivery failed');
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new BackupError('aborted', 'Webhook delivery cancelled'));
      },
      { once: true },
    );
  });
}
