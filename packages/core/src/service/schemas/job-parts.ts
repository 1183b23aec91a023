import { z } from 'zod';
import { POSTGRES_SCHEMA_TYPES } from '../../sources/postgres/postgres-types.js';
import {
  COMPRESSION_ALGORITHMS,
  COMPRESSION_LEVELS,
  destinationSettingSchema,
  FREQUENCIES,
  isValidCron,
  isValidTimeZone,
  keyIdSchema,
  nameList,
  nonEmptyString,
  nonNegativeInt,
  typeDispatchedSchema,
} from './common.js';
import { testRestoreOptionsSchema, verificationTypeSchema } from './verify.js';

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

/** One schema per PostgreSQL type that has one (the kind's other aliases are checked by the kind). */
const databaseSourceSchemas = Object.fromEntries(
  POSTGRES_SCHEMA_TYPES.map((type) => [
    type,
    z.strictObject({ type: z.literal(type), ...databaseSourceFields }),
  ]),
);
export const filesystemSourceSchema = z.strictObject({
  type: z.literal('filesystem'),
  path: nonEmptyString(4096),
  include: nameList().optional(),
  exclude: nameList().optional(),
});

/** The built-in source kinds' schemas, by `type`; other types are checked by their registered kind. */
export const BUILT_IN_SOURCE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  ...databaseSourceSchemas,
  filesystem: filesystemSourceSchema,
};

/** A source; see `typeDispatchedSchema` for how unknown types are handled. */
export const sourceSchema = typeDispatchedSchema(
  BUILT_IN_SOURCE_SCHEMAS,
  'must be a source type such as database, postgres or filesystem',
  'A source kind registered with the service (`sources` option); its own fields',
);

/**
 * Destinations: the documented common fields, typed; driver-specific extras (endpoint, container, ...)
 * pass through to the driver factory. Whether a driver exists for `type` is checked by the
 * service (`invalid_backup_config`), since drivers are registered at runtime.
 */
export const destinationSchema = z
  .object({
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'must be a storage type such as local, s3, azure or gcs' }),
    bucket: nonEmptyString(255).optional(),
    path: z.string().max(1024).optional(),
    region: nonEmptyString(64).optional(),
    encryption: nonEmptyString(64).optional(),
    storage_class: nonEmptyString(64).optional(),
  })
  // Driver settings are flat: a nested document has no business in a destination.
  .catchall(destinationSettingSchema);

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be HH:MM (24-hour)' });

/** Five or six fields: meant as a cron expression (whether croner accepts it is checked later). */
function isCronShaped(value: string): boolean {
  const fields = value.trim().split(/\s+/).length;
  return fields === 5 || fields === 6;
}

/**
 * A schedule. A frequency that is neither a preset nor cron-shaped is a schema issue ("Invalid
 * schedule configuration", a 422); a cron expression that does not
 * parse or a time zone that does not exist is unusable configuration (`invalid_backup_config`,
 * a 400), which the service reports naming the field.
 */
export const scheduleSchema = z.strictObject({
  frequency: nonEmptyString(200).refine(
    (value) => (FREQUENCIES as readonly string[]).includes(value) || isCronShaped(value),
    { error: 'must be hourly, daily, weekly, monthly or a valid cron expression' },
  ),
  time: timeOfDay.optional(),
  day_of_week: z.number().int().min(0, { error: 'must be 0-6' }).max(6, { error: 'must be 0-6' }).optional(),
  day_of_month: z
    .number()
    .int()
    .min(1, { error: 'must be 1-31' })
    .max(31, { error: 'must be 1-31' })
    .optional(),
  timezone: nonEmptyString(64).default('UTC'),
  enabled: z.boolean().default(true),
});

/**
 * Why a parsed schedule cannot run, as `{ field, issue }`, or null when it can.
 * (Bad cron expression or unknown time zone.)
 */
export function scheduleProblem(schedule: { frequency: string; timezone?: string | null }): {
  field: string;
  issue: string;
} | null {
  const zone = schedule.timezone ?? 'UTC';
  if (!isValidTimeZone(zone)) {
    return {
      field: 'schedule.timezone',
      issue: `Unknown time zone "${zone.slice(0, 64)}": use an IANA zone such as America/Toronto`,
    };
  }
  if (!(FREQUENCIES as readonly string[]).includes(schedule.frequency) && !isValidCron(schedule.frequency)) {
    return {
      field: 'schedule.frequency',
      issue: `Not a valid cron expression: "${schedule.frequency.slice(0, 100)}"`,
    };
  }
  return null;
}

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
    algorithm: z.enum(COMPRESSION_ALGORITHMS).optional(),
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
  /** After each backup: `full` (default), `quick` or a rotating read-data share such as `10%`. */
  verification_type: verificationTypeSchema.optional(),
  test_restore_options: testRestoreOptionsSchema.optional(),
});

export const backupTypeSchema = z.enum(['full', 'incremental', 'differential'], {
  error: 'must be full, incremental or differential',
});
