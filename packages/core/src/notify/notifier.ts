/** What a notification is about. */
export type NotificationOutcome = 'success' | 'failure' | 'warning';

/** A finished backup (or restore / verification) as notifiers describe it. Secret-free. */
export interface NotificationMessage {
  kind: 'backup' | 'restore' | 'verification';
  outcome: NotificationOutcome;
  job_id: string;
  job_name: string;
  execution_id?: string | null;
  backup_id?: string | null;
  /** `manual`, `schedule`, `startup-catchup`... */
  trigger?: string | null;
  started_at: string | null;
  completed_at: string | null;
  /** Seconds. */
  duration: number | null;
  /** Plaintext bytes backed up. */
  logical_size?: number | null;
  /** Stored bytes the backup references. */
  file_size?: number | null;
  /** Stored bytes the backup added. */
  new_bytes?: number | null;
  error?: { code: string; message: string } | null;
  warnings?: string[];
  /** Addresses from the job's `notifications.recipients`. */
  recipients: string[];
}

/** A channel that delivers notifications (mail, webhook, chat...). Implement it to add one. */
export interface Notifier {
  /** Short name for logs and records, e.g. `smtp`, `webhook`. */
  readonly channel: string;
  /** Delivers one message. Throws `BackupError` when delivery fails. */
  send(message: NotificationMessage, options?: { signal?: AbortSignal }): Promise<void>;
  close?(): Promise<void>;
}

/** A job's `notifications` block, as the API takes it. */
export interface NotificationSettings {
  on_success?: boolean;
  on_failure?: boolean;
  on_warning?: boolean;
  recipients?: string[];
}

/** Whether a job's settings ask for a notification of this outcome. */
export function shouldNotify(
  settings: NotificationSettings | null | undefined,
  outcome: NotificationOutcome,
): boolean {
  if (!settings) return false;
  if (outcome === 'success') return settings.on_success === true;
  if (outcome === 'failure') return settings.on_failure === true;
  return settings.on_warning === true;
}

/**
 * Hides credentials that may sit in free text (URLs with a password, `password=...`, SAS
 * signatures, `Authorization:` headers): the one rule of security/redaction.ts.
 */
export { maskSecrets } from '../security/redaction.js';
