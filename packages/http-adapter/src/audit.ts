import {
  type AuditRecord,
  type BackupError,
  type CatalogRepository,
  type Clock,
  newId,
} from '@backupkit/core';
import { redactValue } from './redact.js';
import type { RouteSpec } from './routes.js';
import type { Logger } from './types.js';

export interface AuditEntry {
  principal: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  status: number;
  errorCode?: string;
  details?: Record<string, unknown>;
}

/**
 * Writes one audit record per mutating call: who, action, target, outcome, time. The record
 * never carries a request body (it may hold a password); only ids, status and error code.
 */
export class AuditLog {
  readonly #catalog: Pick<CatalogRepository, 'appendAudit'>;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #secrets: readonly string[];

  constructor(
    catalog: Pick<CatalogRepository, 'appendAudit'>,
    clock: Clock,
    logger: Logger | undefined,
    secrets: readonly string[],
  ) {
    this.#catalog = catalog;
    this.#clock = clock;
    this.#logger = logger;
    this.#secrets = secrets;
  }

  /**
   * The entry of one API call: the target is the path's id, or for creations the new id
   * from the result; ids the result names (execution, verification...) go into details.
   */
  recordCall(call: CallOutcome, requestSecrets: readonly string[]): Promise<void> {
    const ids: Record<string, string> = {};
    if (call.result && typeof call.result === 'object') {
      for (const key of RESULT_IDS) {
        const value = (call.result as Record<string, unknown>)[key];
        if (typeof value === 'string') ids[key] = value;
      }
    }
    const targetId = call.route.targetFrom
      ? (ids[call.route.targetFrom] ?? null)
      : (Object.values(call.params)[0] ?? null);
    return this.record(
      {
        principal: call.principal,
        action: call.route.action,
        targetType: call.route.resourceType,
        targetId: targetId?.slice(0, 100) ?? null,
        status: call.status,
        ...(call.failure ? { errorCode: call.failure.code } : {}),
        details: { method: call.method, ...ids },
      },
      requestSecrets,
    );
  }

  /** Never throws: a failed audit write is logged, the caller's response stands. */
  async record(entry: AuditEntry, requestSecrets: readonly string[]): Promise<void> {
    const secrets = [...this.#secrets, ...requestSecrets];
    const record: AuditRecord = {
      audit_id: newId('audit'),
      at: this.#clock.now().toISOString(),
      principal: entry.principal,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      outcome: outcomeOf(entry.status),
      details: redactValue(
        {
          status: entry.status,
          ...(entry.errorCode === undefined ? {} : { error: entry.errorCode }),
          ...entry.details,
        },
        secrets,
      ),
    };
    try {
      await this.#catalog.appendAudit(record);
    } catch (error) {
      this.#logger?.error('audit write failed', {
        action: entry.action,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
}

/** Ids carried in results worth recording in the audit log. */
const RESULT_IDS = ['job_id', 'execution_id', 'backup_id', 'restore_id', 'verification_id'] as const;

export interface CallOutcome {
  route: RouteSpec;
  params: Record<string, string>;
  principal: string | null;
  method: string;
  status: number;
  result: unknown;
  failure: BackupError | undefined;
}

function outcomeOf(status: number): AuditRecord['outcome'] {
  if (status < 400) return 'success';
  if (status === 401 || status === 403 || status === 429) return 'denied';
  return 'failure';
}
