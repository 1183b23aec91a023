import type { PostgresRestoreOptions } from './config.js';
import type { PlannedTable, RestorePlan } from './restore-plan.js';
import { tableObjectStatements } from './table-objects.js';

/*
 * The server's restore work grows with rows as well as bytes: each row is parsed and inserted,
 * then sorted into every index. Timed per table on the benchmark dataset (1×, PostgreSQL 15,
 * 2 cores shared with other work, two tables at a time; three runs of 18-46 s): a lane loads
 * 60-85 MB/s of COPY data plus 1.7-7 µs per row (orders, all text, at the low end; customers
 * with its jsonb at the high end), and builds an index at 0.8-1.9 µs per row. In bytes of COPY
 * data: a row costs about 220 bytes to load and 110 per index built on it, which puts the loads
 * of the two big tables at half the work, where they ended at 43-52% of the time. (Ordering by
 * bytes alone left the narrow, many-row table for last on one connection while the other sat
 * idle; pricing an index build like a load made progress run through the builds and the ETA
 * 35% late halfway.)
 */
const ROW_LOAD_BYTES = 220;
const ROW_INDEX_BYTES = 110;

/*
 * Reading a table back after the restore (verify_after_restore: COPY out, then cut and hashed
 * into chunk ids on the client's main thread) against loading it: on the benchmark dataset a
 * re-read byte took as long as 1.7 bytes of priced load work at 1× (70 MB/s, the tables no
 * longer cached) and 0.7 at 0.1× (140 MB/s). Priced at 0.5, the ETA ran 20% early through it
 * at 1×; in between, the error is at most about 10% either way.
 */
const VERIFY_COST_PER_BYTE = 1.2;

/** A table's restore work, in bytes of COPY data it is worth (see ROW_LOAD_BYTES). */
export interface TableCost {
  /** Work done while its data loads, on top of the bytes themselves (spread over them). */
  load: number;
  /** Each index or constraint built once the data is in (created tables). */
  perObject: number;
  objects: number;
}

export function tableCost(t: PlannedTable, options: PostgresRestoreOptions): TableCost {
  const rows = t.table.row_count ?? 0;
  if (t.exists) {
    // An existing table keeps its indexes up to date row by row while it loads (about as
    // costly as building them): the backup's own count stands in for them.
    const indexes = t.table.indexes.length + t.table.constraints.filter((c) => 'pux'.includes(c.type)).length;
    return { load: rows * (ROW_LOAD_BYTES + ROW_INDEX_BYTES * indexes), perObject: 0, objects: 0 };
  }
  return {
    load: rows * ROW_LOAD_BYTES,
    perObject: rows * ROW_INDEX_BYTES,
    objects: tableObjectStatements(t, options).length,
  };
}

/** Relative time to restore a table, in bytes of COPY data it is worth. */
export function tableRestoreCost(t: PlannedTable, options: PostgresRestoreOptions): number {
  const cost = tableCost(t, options);
  return t.entry.size + cost.load + cost.perObject * cost.objects;
}

/** Work of a created table's foreign key: validating it looks up every row, about an index build. */
export function foreignKeyCost(t: PlannedTable): number {
  return (t.table.row_count ?? 0) * ROW_INDEX_BYTES;
}

/** Work of re-reading `bytes` of restored data (verify_after_restore). */
export function verifyCost(bytes: number): number {
  return bytes * VERIFY_COST_PER_BYTE;
}

/** Relative time of finish(): the created tables' foreign keys, then re-reading the data if asked. */
export function finishRestoreCost(plan: RestorePlan, options: PostgresRestoreOptions): number {
  let cost = 0;
  for (const t of plan.tables.values()) {
    if (!t.exists && !options.skipConstraints) {
      cost += foreignKeyCost(t) * t.table.constraints.filter((c) => c.type === 'f').length;
    }
    if (options.verifyAfterRestore) cost += verifyCost(t.entry.size);
  }
  return cost;
}
