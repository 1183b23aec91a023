import { z } from 'zod';
import { POSTGRES_SCHEMA_TYPES } from '../../sources/postgres/postgres-types.js';
import { nameList, nonEmptyString, notificationsSchema, typeDispatchedSchema } from './common.js';

const connectionString = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => /^postgres(ql)?:\/\//i.test(value), {
    error: 'must be a postgresql:// connection string',
  });

const databaseTargetFields = {
  connection_string: connectionString,
  tables: nameList().optional(),
  overwrite_existing: z.boolean().default(false),
  create_missing_tables: z.boolean().default(true),
};

/** One schema per PostgreSQL type that has one (the kind's other aliases are checked by the kind). */
const databaseTargetSchemas = Object.fromEntries(
  POSTGRES_SCHEMA_TYPES.map((type) => [
    type,
    z.strictObject({ type: z.literal(type), ...databaseTargetFields }),
  ]),
);
const filesystemTargetSchema = z.strictObject({
  type: z.literal('filesystem'),
  /** Directory to restore into. */
  path: nonEmptyString(4096),
  /** Entry names or globs to restore (default: everything). */
  paths: nameList().optional(),
  overwrite_existing: z.boolean().default(false),
  /** Create symlinks that lead outside the directory (also needs the host's `allowExternalSymlinks`). */
  allow_external_symlinks: z.boolean().default(false),
});

const BUILT_IN_TARGET_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  ...databaseTargetSchemas,
  filesystem: filesystemTargetSchema,
};

/** Where to restore; see `typeDispatchedSchema` for how unknown types are handled. */
export const restoreDestinationSchema = typeDispatchedSchema(
  BUILT_IN_TARGET_SCHEMAS,
  'must be a restore target type such as database, postgres or filesystem',
  'A restore target of a source kind registered with the service; its own fields',
);

/** A restore's informational `source` (where the backup came from); secrets are sealed like a job's. */
export const restoreSourceSchema = z.looseObject({
  type: z.string().min(1).max(32),
  connection_string: connectionString.optional(),
  tables: nameList().optional(),
  path: z.string().max(4096).optional(),
});

export const restoreOptionsSchema = z.strictObject({
  verify_before_restore: z.boolean().default(true),
  verify_after_restore: z.boolean().default(true),
  skip_constraints: z.boolean().default(false),
  skip_indexes: z.boolean().default(false),
  parallel_restore: z.boolean().default(true),
  max_parallel_jobs: z
    .number()
    .int()
    .min(1, { error: 'must be 1-64' })
    .max(64, { error: 'must be 1-64' })
    .default(4),
});

/** `POST /backup/restores`. */
export const createRestoreSchema = z.strictObject({
  restore_name: nonEmptyString(200).optional(),
  description: z.string().max(2000).nullish(),
  backup_id: nonEmptyString(100),
  source: restoreSourceSchema.nullish(),
  destination: restoreDestinationSchema,
  restore_options: restoreOptionsSchema.default({
    verify_before_restore: true,
    verify_after_restore: true,
    skip_constraints: false,
    skip_indexes: false,
    parallel_restore: true,
    max_parallel_jobs: 4,
  }),
  notifications: notificationsSchema.nullish(),
  created_by: z.string().max(200).nullish(),
});

export type CreateRestoreInput = z.input<typeof createRestoreSchema>;
export type CreateRestoreParsed = z.output<typeof createRestoreSchema>;
