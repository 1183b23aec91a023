import { z } from 'zod';
import { nameList, nonEmptyString } from './common.js';

/** `full`, `quick` (structure only, no chunk reads) or a sample like `25%` of the chunks. */
export const verificationTypeSchema = z
  .string()
  .refine((value) => value === 'full' || value === 'quick' || /^(100|[1-9]\d?)(\.\d+)?%$/.test(value), {
    error: 'must be full, quick or a percentage such as 25%',
  });

export const testRestoreOptionsSchema = z.strictObject({
  test_database: nonEmptyString(63).optional(),
  test_tables: nameList().optional(),
  cleanup_after_test: z.boolean().default(true),
});

/** `POST /backup/backups/{backup_id}/verify`. */
export const verifyBackupSchema = z.strictObject({
  verification_type: verificationTypeSchema.default('full'),
  checksum_verification: z.boolean().default(true),
  integrity_check: z.boolean().default(true),
  test_restore: z.boolean().default(false),
  test_restore_options: testRestoreOptionsSchema.nullish(),
});

export type VerifyBackupInput = z.input<typeof verifyBackupSchema>;
export type VerifyBackupParsed = z.output<typeof verifyBackupSchema>;
