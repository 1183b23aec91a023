// The one place that names PostgreSQL's `source.type` / `destination.type` values.

/** The types with request schemas of their own (`database` is the documented one). */
export const POSTGRES_SCHEMA_TYPES = ['database', 'postgres'] as const;

/** Every type the PostgreSQL kind answers to: the schema'd ones and the `postgresql` alias. */
export const POSTGRES_TYPES = [...POSTGRES_SCHEMA_TYPES, 'postgresql'] as const;

/** The PostgreSQL kind's family: a backup of any of its types restores into any of them. */
export const POSTGRES_FAMILY = 'postgres';
