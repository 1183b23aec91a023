import { Cron } from 'croner';
import { z } from 'zod';

// Algorithms, level ranges and defaults are shared with the repository (one home for them).
export { COMPRESSION_ALGORITHMS, COMPRESSION_LEVELS } from '../../repository/compression-levels.js';

export const FREQUENCIES = ['hourly', 'daily', 'weekly', 'monthly'] as const;

/** True when `Intl` knows the IANA zone (the same zone database croner uses). */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** True when croner accepts `expression` (5 or 6 fields). */
export function isValidCron(expression: string): boolean {
  if (expression.trim().split(/\s+/).length < 5) return false;
  try {
    new Cron(expression, { paused: true });
    return true;
  } catch {
    return false;
  }
}

export const nonEmptyString = (max = 1000) =>
  z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

export const nonNegativeInt = () =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be 0 or more' });

export const isoDateTime = () =>
  z
    .string()
    .refine(
      (value) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value),
      // One issue per bad value: a malformed string is not also reported as an invalid date.
      { error: 'must be an ISO-8601 date or date-time', abort: true },
    )
    .refine((value) => !Number.isNaN(new Date(value).getTime()), { error: 'is not a valid date' });

export const emailSchema = z.email({ error: 'must be an e-mail address' });

export const notificationsSchema = z.strictObject({
  on_success: z.boolean().default(false),
  on_failure: z.boolean().default(true),
  on_warning: z.boolean().default(false),
  recipients: z.array(emailSchema).max(100).default([]),
});

const settingScalar = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()], {
  error: 'must be a string, number, boolean or null, or a list of them',
});

/** A driver-specific destination setting: a scalar or a short list of scalars, never an object. */
export const destinationSettingSchema = z.union([settingScalar, z.array(settingScalar).max(100)], {
  error: 'must be a string, number, boolean or null, or a list of them',
});

/** A glob or name list (tables, include/exclude patterns). */
export const nameList = () => z.array(nonEmptyString(256)).max(1_000);

/** `key_id` values name master keys; they are never key material. */
export const keyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/, { error: 'must be a key id (letters, digits, _ . : / -)' });

/**
 * JSON Schema `anyOf` documenting a type-switched object (sources, restore targets): each
 * built-in type's fields, plus "another registered type". Used as OpenAPI metadata only; the
 * parsing itself dispatches on `type`.
 */
export function typeVariantsDoc(
  schemas: Readonly<Record<string, z.ZodType>>,
  otherDescription: string,
): Record<string, unknown>[] {
  const variants: Record<string, unknown>[] = Object.values(schemas).map((schema) => {
    const { $schema: _omit, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    return rest;
  });
  variants.push({
    type: 'object',
    description: otherDescription,
    properties: { type: { type: 'string' } },
    required: ['type'],
  });
  return variants;
}

/**
 * An object switched on `type`: the built-in types are checked field by field; any other `type`
 * passes through to the service, which answers `invalid_backup_config` unless a kind is
 * registered for it (an unknown type is unusable configuration, 400, not a schema violation, 422).
 */
export function typeDispatchedSchema(
  builtIns: Readonly<Record<string, z.ZodType>>,
  typeError: string,
  otherDescription: string,
) {
  return z
    .looseObject({ type: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: typeError }) })
    .transform((value, ctx) => {
      const schema = builtIns[value.type];
      if (!schema) return value as Record<string, unknown> & { type: string };
      const result = schema.safeParse(value);
      if (result.success) return result.data as Record<string, unknown> & { type: string };
      for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    })
    .meta({ anyOf: typeVariantsDoc(builtIns, otherDescription) });
}
