import type pg from 'pg';
import { qualified } from './connection.js';
import type { PlannedTable } from './restore-plan.js';
import type { ConstraintSchema } from './schema-types.js';

/** A created table's foreign key, with the table it points at as SQL text (for `to_regclass`). */
export interface PlannedForeignKey {
  table: PlannedTable;
  constraint: ConstraintSchema;
  /** Qualified, quoted name of the referenced table; null when it cannot be told. */
  references: string | null;
}

/** A foreign key left out because the table it points at is neither restored nor in the target. */
export interface SkippedForeignKey {
  /** Entry name of the table that has the key (`schema.table`). */
  table: string;
  constraint: string;
  /** The referenced table, `schema.table`. */
  references: string;
}

// `REFERENCES schema.table(...)` as pg_get_constraintdef prints it (names quoted when needed).
const IDENT = String.raw`(?:"(?:[^"]|"")+"|[^\s."(]+)`;
const REFERENCES = new RegExp(String.raw`\bREFERENCES\s+(${IDENT}(?:\.${IDENT})?)`);

/**
 * The table a foreign key references: recorded at backup time, or (for backups made before
 * that was recorded) read from its definition.
 */
export function referencedTable(constraint: ConstraintSchema): string | null {
  if (constraint.references) return qualified(constraint.references.schema, constraint.references.table);
  return REFERENCES.exec(constraint.definition)?.[1] ?? null;
}

/**
 * Splits the foreign keys of `created` tables into those to create and those to skip, as
 * `pg_restore -t` would not create a key whose other end it did not restore: a key is created
 * when the table it references exists in the target now (restored by this run, or there
 * before). Call once every table's data is in.
 */
export async function foreignKeysToCreate(
  client: pg.ClientBase,
  created: readonly PlannedTable[],
): Promise<{ create: PlannedForeignKey[]; skipped: SkippedForeignKey[] }> {
  const keys: PlannedForeignKey[] = created.flatMap((table) =>
    table.table.constraints
      .filter((c) => c.type === 'f')
      .map((constraint) => ({ table, constraint, references: referencedTable(constraint) })),
  );
  const names = [...new Set(keys.map((k) => k.references).filter((r): r is string => r !== null))];
  const present = new Set<string>();
  if (names.length > 0) {
    const { rows } = await client.query<{ name: string }>(
      'SELECT q.name FROM unnest($1::text[]) AS q(name) WHERE to_regclass(q.name) IS NOT NULL',
      [names],
    );
    for (const row of rows) present.add(row.name);
  }
  const create: PlannedForeignKey[] = [];
  const skipped: SkippedForeignKey[] = [];
  for (const key of keys) {
    // A key whose target cannot be told is attempted: its failure is reported as before.
    if (key.references === null || present.has(key.references)) create.push(key);
    else {
      const ref = key.constraint.references;
      skipped.push({
        table: key.table.entry.name,
        constraint: key.constraint.name,
        references: ref ? `${ref.schema}.${ref.table}` : key.references,
      });
    }
  }
  return { create, skipped };
}

/** The warning a skipped foreign key is reported with. */
export function skippedKeyWarning(key: SkippedForeignKey): string {
  return `Foreign key ${key.constraint} on ${key.table} was not created: it references ${key.references}, which is neither restored nor in the target`;
}
