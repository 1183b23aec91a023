import type pg from 'pg';
import { qualified } from './connection.js';
import { chooseCopyFormat } from './copy-format.js';
import type { ColumnSchema, SequenceSchema, TableSchema, TypeSchema } from './schema-types.js';
import type { TableName } from './table-match.js';

export interface CatalogTable extends TableName {
  oid: number;
  bytes: number;
  /** Partitioned parent or partition: not supported yet. */
  partitioned: boolean;
  unlogged: boolean;
  /** Storage parameters, e.g. `fillfactor=70`. */
  options: string[];
}

/** Ordinary tables outside system schemas and extensions (partitioned parents excluded). */
export async function listTables(client: pg.Client): Promise<CatalogTable[]> {
  const { rows } = await client.query<{
    oid: number;
    schema: string;
    name: string;
    bytes: string;
    partitioned: boolean;
    unlogged: boolean;
    options: string[] | null;
  }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, pg_table_size(c.oid)::text AS bytes,
            (c.relkind = 'p' OR c.relispartition) AS partitioned, c.relpersistence = 'u' AS unlogged,
            c.reloptions AS options
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 2, 3`,
  );
  return rows.map((r) => ({
    oid: r.oid,
    schema: r.schema,
    name: r.name,
    bytes: Number(r.bytes),
    partitioned: r.partitioned,
    unlogged: r.unlogged,
    options: r.options ?? [],
  }));
}

/** Columns, constraints, indexes and sequences of `tables`, in the order given. */
export async function captureTables(
  client: pg.Client,
  tables: CatalogTable[],
): Promise<{ tables: TableSchema[]; sequenceOids: number[]; typeOids: number[] }> {
  const oids = tables.map((t) => t.oid);
  const columns = await client.query<{
    relid: number;
    name: string;
    type: string;
    typid: number;
    not_null: boolean;
    default: string | null;
    identity: string;
    generated: string;
    sequence: string | null;
    collation: string | null;
    builtin_type: string | null;
  }>(
    `SELECT a.attrelid::int AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.atttypid::int AS typid, a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
            a.attidentity AS identity, a.attgenerated AS generated,
            pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS sequence,
            (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
               FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
              WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation) AS collation,
            CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace THEN t.typname::text END AS builtin_type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const constraints = await client.query<{
    relid: number;
    name: string;
    type: string;
    definition: string;
    ref_schema: string | null;
    ref_table: string | null;
  }>(
    `SELECT k.conrelid::int AS relid, k.conname AS name, k.contype AS type,
            pg_get_constraintdef(k.oid) AS definition, rn.nspname AS ref_schema, r.relname AS ref_table
       FROM pg_constraint k
       LEFT JOIN pg_class r ON r.oid = k.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE k.conrelid = ANY($1) AND k.contype IN ('p', 'u', 'c', 'f', 'x') AND k.conislocal
      ORDER BY k.conrelid, k.conname`,
    [oids],
  );
  const indexes = await client.query<{ relid: number; name: string; definition: string }>(
    `SELECT i.indrelid::int AS relid, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid
                          AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
      ORDER BY i.indrelid, ic.relname`,
    [oids],
  );
  // Sequences owned by a column (serial, identity) or named in a default (nextval('x')).
  const sequences = await client.query<{ relid: number; seqid: number }>(
    `SELECT dep.refobjid::int AS relid, dep.objid::int AS seqid
       FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
      WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
        AND dep.refobjid = ANY($1) AND dep.deptype IN ('a', 'i')
     UNION
     SELECT ad.adrelid::int, dep.refobjid::int
       FROM pg_attrdef ad JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = ad.oid
       JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
      WHERE ad.adrelid = ANY($1)`,
    [oids],
  );
  const seqNames = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1)`,
    [sequences.rows.map((r) => r.seqid)],
  );
  const seqName = new Map(seqNames.rows.map((r) => [r.oid, r.name]));

  const typeOids = new Set<number>();
  const result = tables.map((table): TableSchema => {
    const cols = columns.rows.filter((c) => c.relid === table.oid);
    for (const c of cols) typeOids.add(c.typid);
    const columnSchemas: ColumnSchema[] = cols.map((c) => ({
      name: c.name,
      type: c.type,
      not_null: c.not_null,
      default: c.generated === 's' ? null : c.default,
      identity: c.identity === 'a' || c.identity === 'd' ? c.identity : null,
      generated: c.generated === 's' ? c.default : null,
      sequence: c.sequence,
      ...(c.collation ? { collation: c.collation } : {}),
    }));
    const copied = cols.filter((c) => c.generated !== 's');
    const copyTypes = copied.map((c) => c.builtin_type);
    const copyFormat = chooseCopyFormat(copyTypes);
    return {
      schema: table.schema,
      name: table.name,
      columns: columnSchemas,
      copy_columns: copied.map((c) => c.name),
      copy_format: copyFormat,
      ...(copyFormat === 'binary' ? { copy_types: copyTypes as string[] } : {}),
      constraints: constraints.rows
        .filter((c) => c.relid === table.oid)
        .map((c) => ({
          name: c.name,
          type: c.type as 'p' | 'u' | 'c' | 'f' | 'x',
          definition: c.definition,
          ...(c.type === 'f' && c.ref_schema && c.ref_table
            ? { references: { schema: c.ref_schema, table: c.ref_table } }
            : {}),
        })),
      indexes: indexes.rows
        .filter((i) => i.relid === table.oid)
        .map((i) => ({ name: i.name, definition: i.definition })),
      sequences: [
        ...new Set(
          sequences.rows.filter((s) => s.relid === table.oid).map((s) => seqName.get(s.seqid) ?? ''),
        ),
      ].filter((s) => s !== ''),
      estimated_bytes: table.bytes,
      relation_bytes: table.bytes,
      ...(table.unlogged ? { unlogged: true } : {}),
      ...(table.options.length > 0 ? { storage_options: table.options } : {}),
    };
  });
  return {
    tables: result,
    sequenceOids: [...new Set(sequences.rows.map((s) => s.seqid))],
    typeOids: [...typeOids],
  };
}

/** Sequence definitions and current values. */
export async function captureSequences(client: pg.Client, oids: number[]): Promise<SequenceSchema[]> {
  if (oids.length === 0) return [];
  const { rows } = await client.query<{
    schema: string;
    name: string;
    type: string;
    start: string;
    increment: string;
    min: string;
    max: string;
    cache: string;
    cycle: boolean;
    owner_schema: string | null;
    owner_table: string | null;
    owner_column: string | null;
    deptype: string | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type,
            s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
            s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
            tn.nspname AS owner_schema, t.relname AS owner_table, a.attname AS owner_column, dep.deptype
       FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
            AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = dep.refobjid LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
      WHERE s.seqrelid = ANY($1) ORDER BY 1, 2`,
    [oids],
  );
  const out: SequenceSchema[] = [];
  for (const r of rows) {
    const value = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text AS last_value, is_called FROM ${qualified(r.schema, r.name)}`,
    );
    out.push({
      schema: r.schema,
      name: r.name,
      type: r.type,
      start: r.start,
      increment: r.increment,
      min: r.min,
      max: r.max,
      cache: r.cache,
      cycle: r.cycle,
      last_value: value.rows[0]?.last_value ?? r.start,
      is_called: value.rows[0]?.is_called ?? false,
      owned_by:
        r.owner_schema && r.owner_table && r.owner_column
          ? { schema: r.owner_schema, table: r.owner_table, column: r.owner_column }
          : null,
      identity: r.deptype === 'i',
    });
  }
  return out;
}

interface TypeRow {
  oid: number;
  schema: string;
  name: string;
  typtype: string;
  elem: number;
  base: number;
  relid: number;
  base_type: string | null;
  not_null: boolean;
  default: string | null;
  array_of: boolean;
}

/**
 * User-defined enums, domains and composite types the columns need (also through arrays,
 * domain bases and composite attributes), dependencies first. Types in pg_catalog and
 * extension types are left to the target.
 */
export async function captureTypes(client: pg.Client, rootOids: number[]): Promise<TypeSchema[]> {
  const rowsByOid = new Map<number, TypeRow>();
  const deps = new Map<number, number[]>();
  let frontier = [...new Set(rootOids)];
  while (frontier.length > 0) {
    const { rows } = await client.query<TypeRow>(
      `SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype,
              t.typelem::int AS elem, t.typbasetype::int AS base, t.typrelid::int AS relid,
              CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
              t.typnotnull AS not_null, t.typdefault AS default,
              (t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc) AS array_of
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.oid = ANY($1)`,
      [frontier],
    );
    const next: number[] = [];
    for (const row of rows) {
      rowsByOid.set(row.oid, row);
      const needs: number[] = [];
      if (row.array_of) needs.push(row.elem);
      if (row.typtype === 'd') needs.push(row.base);
      if (row.typtype === 'c' && row.relid !== 0) {
        const attrs = await client.query<{ typid: number }>(
          'SELECT atttypid::int AS typid FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped',
          [row.relid],
        );
        needs.push(...attrs.rows.map((a) => a.typid));
      }
      deps.set(row.oid, needs);
      next.push(...needs.filter((o) => !rowsByOid.has(o)));
    }
    frontier = [...new Set(next)].filter((o) => !rowsByOid.has(o));
  }

  const ordered: number[] = [];
  const seen = new Set<number>();
  const visit = (oid: number): void => {
    if (seen.has(oid)) return;
    seen.add(oid);
    for (const d of deps.get(oid) ?? []) visit(d);
    ordered.push(oid);
  };
  for (const oid of rootOids) visit(oid);

  const out: TypeSchema[] = [];
  for (const oid of ordered) {
    const row = rowsByOid.get(oid);
    if (!row || row.array_of || row.schema === 'pg_catalog' || row.schema === 'information_schema') continue;
    if (row.typtype === 'e') {
      const labels = await client.query<{ label: string }>(
        'SELECT enumlabel AS label FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder',
        [oid],
      );
      out.push({ schema: row.schema, name: row.name, kind: 'enum', labels: labels.rows.map((l) => l.label) });
    } else if (row.typtype === 'd') {
      const checks = await client.query<{ name: string; definition: string }>(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
          WHERE contypid = $1 AND contype = 'c' ORDER BY conname`,
        [oid],
      );
      out.push({
        schema: row.schema,
        name: row.name,
        kind: 'domain',
        base_type: row.base_type ?? 'text',
        not_null: row.not_null,
        default: row.default,
        checks: checks.rows,
      });
    } else if (row.typtype === 'c') {
      const isTableRowType = await client.query<{ relkind: string }>(
        'SELECT relkind::text AS relkind FROM pg_class WHERE oid = $1',
        [row.relid],
      );
      if (isTableRowType.rows[0]?.relkind !== 'c') continue;
      const attrs = await client.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [row.relid],
      );
      out.push({ schema: row.schema, name: row.name, kind: 'composite', attributes: attrs.rows });
    }
  }
  return out;
}
