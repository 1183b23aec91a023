import { type BackupError, toBackupError } from '../errors.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { NotificationMessage, NotificationSettings, Notifier } from './notifier.js';
import { maskSecrets, shouldNotify } from './notifier.js';

/** The outcome of one channel's delivery, for the execution's record. */
export interface NotificationDelivery {
  channel: string;
  ok: boolean;
  at: string;
  error?: { code: string; message: string };
}

export interface DispatchOptions {
  clock?: Clock;
  logger?: { warn(message: string, fields?: Record<string, unknown>): void };
  /** Called once per failed channel (e.g. to emit `notification.failed`). Its own errors are ignored. */
  onFailure?: (channel: string, error: BackupError) => void;
  signal?: AbortSignal;
}

/**
 * Sends `message` through every notifier when the job's settings ask for this outcome. Never
 * throws and never rejects: a failed channel is logged, reported to `onFailure` and returned as
 * `{ ok: false, error }`, so a notification can never fail the backup it reports on.
 */
export async function dispatchNotification(
  notifiers: readonly Notifier[],
  settings: NotificationSettings | null | undefined,
  message: NotificationMessage,
  options: DispatchOptions = {},
): Promise<NotificationDelivery[]> {
  if (!shouldNotify(settings, message.outcome) || notifiers.length === 0) return [];
  const clock = options.clock ?? systemClock;
  const withRecipients = {
    ...message,
    recipients: message.recipients.length ? message.recipients : (settings?.recipients ?? []),
  };
  const results = await Promise.allSettled(
    notifiers.map((n) => n.send(withRecipients, options.signal ? { signal: options.signal } : {})),
  );
  return results.map((result, index) => {
    const channel = notifiers[index]?.channel ?? 'unknown';
    const at = clock.now().toISOString();
    if (result.status === 'fulfilled') return { channel, ok: true, at };
    const error = toBackupError(result.reason);
    const safeMessage = maskSecrets(error.message);
    try {
      options.logger?.warn('notification failed', {
        channel,
        job_id: message.job_id,
        code: error.code,
        message: safeMessage,
      });
      options.onFailure?.(channel, error);
    } catch {
      // A broken logger or listener must not turn a notification failure into a backup failure.
    }
    return { channel, ok: false, at, error: { code: error.code, message: safeMessage } };
  });
}
