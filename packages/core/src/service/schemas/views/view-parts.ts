import { z } from 'zod';

/** An ISO-8601 UTC time, as every view writes it. */
export const isoTime = () => z.string().describe('ISO-8601 UTC');

/** A JSON object whose fields the view passes through as stored (job settings, options). */
export const jsonObject = () => z.record(z.string(), z.unknown());

/** Percent done, 0-100. */
export const progressSchema = z.number().int().min(0).max(100);

/** Ids this service mints itself (`newId`), so their prefix is part of their type. */
export const executionIdSchema = z.templateLiteral(['exec_', z.string()]);
export const restoreIdSchema = z.templateLiteral(['restore_', z.string()]);
export const verificationIdSchema = z.templateLiteral(['verify_', z.string()]);

export type ExecutionId = z.infer<typeof executionIdSchema>;
export type RestoreId = z.infer<typeof restoreIdSchema>;
export type VerificationId = z.infer<typeof verificationIdSchema>;

/** Why an execution or restore failed: a `BackupErrorCode`, a secret-free message, structured facts. */
export const errorBlockSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export type ErrorBlock = z.infer<typeof errorBlockSchema>;

export const BACKUP_TYPES = ['full', 'incremental', 'differential'] as const;
export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const VERIFICATION_STATUSES = ['queued', 'running', 'passed', 'failed', 'error'] as const;
