import { z } from 'zod';
import {
  COMPRESSION_LEVELS,
  FREQUENCIES,
  isValidCron,
  isValidTimeZone,
  keyIdSchema,
  nameList,
  nonEmptyString,
  nonNegativeInt,
} from './common.js';

const connectionString = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(4096)
  .refine((value) => /^postgres(ql)?:\/\//i.test(value), {
    error: 'must be a postgresql:// connection string',
  });

/** `database` and `postgres` are the same kind: a PostgreSQL database read with COPY. */
const databaseSourceFields = {
  connection_string: connectionString,
  tables: nameList().optional(),
  exclude_tables: nameList().optional(),
};

export const databaseSourceSchema = z.strictObject({ type: z.literal('database'), ...databaseSourceFields });
export const postgresSourceSchema = z.strictObject({ type: z.literal('postgres'), ...databaseSourceFields });
export const filesystemSourceSchema = z.strictObject({
  type: z.literal('filesystem'),
  path: nonEmptyString(4096),
  include: nameList().optional(),
  exclude: nameList().optional(),
});

export const sourceSchema = z.discriminatedUnion('type', [
  databaseSourceSchema,
  postgresSourceSchema,
  filesystemSourceSchema,
]);

/**
 * Destinations: the spec's fields, typed; driver-specific extras (endpoint, container, ...)
 * pass through to the driver factory. Whether a driver exists for `type` is checked by the
 * service (`invalid_backup_config`), since drivers are registered at runtime.
 */
export const destinationSchema = z.looseObject({
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'must be a storage type such as local, s3, azure or gcs' }),
  bucket: nonEmptyString(255).optional(),
  path: z.string().max(1024).optional(),
  region: nonEmptyString(64).optional(),
  encryption: nonEmptyString(64).optional(),
  storage_class: nonEmptyString(64).optional(),
});

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be HH:MM (24-hour)' });

export const scheduleSchema = z.strictObject({
  frequency: z
    .string()
    .refine((value) => (FREQUENCIES as readonly string[]).includes(value) || isValidCron(value), {
      error: 'must be hourly, daily, weekly, monthly or a valid cron expression',
    }),
  time: timeOfDay.optional(),
  day_of_week: z.number().int().min(0, { error: 'must be 0-6' }).max(6, { error: 'must be 0-6' }).optional(),
  day_of_month: z
    .number()
    .int()
    .min(1, { error: 'must be 1-31' })
    .max(31, { error: 'must be 1-31' })
    .optional(),
  timezone: z
    .string()
    .refine(isValidTimeZone, { error: 'must be an IANA time zone such as America/Toronto' })
    .default('UTC'),
  enabled: z.boolean().default(true),
});

export const retentionSchema = z.strictObject({
  days: nonNegativeInt().optional(),
  weeks: nonNegativeInt().optional(),
  months: nonNegativeInt().optional(),
  years: nonNegativeInt().optional(),
  last: nonNegativeInt().optional(),
});

export const compressionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    algorithm: z.enum(['none', 'gzip', 'brotli', 'zstd']).optional(),
    level: z.number().int({ error: 'must be a whole number' }).optional(),
  })
  .superRefine((value, ctx) => {
    const algorithm = value.algorithm ?? (value.enabled ? 'zstd' : 'none');
    if (value.level === undefined) return;
    if (algorithm === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['level'],
        message: 'must be omitted when the algorithm is none',
      });
      return;
    }
    const range = COMPRESSION_LEVELS[algorithm];
    if (value.level < range.min || value.level > range.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['level'],
        message: `must be ${range.min}-${range.max} for ${algorithm}`,
      });
    }
  });

export const encryptionSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    algorithm: z.enum(['AES-256', 'AES-256-GCM'], { error: "must be 'AES-256' or 'AES-256-GCM'" }).optional(),
    key_id: keyIdSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.enabled && value.key_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key_id'], message: 'is required when encryption is enabled' });
    }
  });

export const verificationSchema = z.strictObject({
  enabled: z.boolean().default(true),
  checksum_verification: z.boolean().default(true),
  integrity_check: z.boolean().default(true),
  test_restore: z.boolean().default(false),
});

export const backupTypeSchema = z.enum(['full', 'incremental', 'differential'], {
  error: 'must be full, incremental or differential',
});
