import type { ManifestEntry } from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { parseRestoreOptions } from '../../../src/sources/postgres/config.js';
import { tableRestoreCost } from '../../../src/sources/postgres/restore-cost.js';
import type { PlannedTable } from '../../../src/sources/postgres/restore-plan.js';
import type { TableEntryMetadata } from '../../../src/sources/postgres/schema-types.js';

const { options } = parseRestoreOptions({ connection_string: 'postgres://localhost/x' }, {});

/** A planned table with `rows` rows in `bytes` of COPY data, a primary key and `indexes` more indexes. */
function planned(bytes: number, rows: number, indexes: number, exists = false): PlannedTable {
  const table = {
    schema: 'public',
    name: 't',
    columns: [],
    copy_columns: ['id'],
    constraints: [{ name: 't_pkey', type: 'p', definition: 'PRIMARY KEY (id)' }],
    indexes: Array.from({ length: indexes }, (_, i) => ({
      name: `i${i}`,
      definition: `CREATE INDEX i${i} ON t (id)`,
    })),
    sequences: [],
    row_count: rows,
  } as unknown as TableEntryMetadata;
  return { entry: { name: 'public.t', size: bytes } as ManifestEntry, table, exists };
}

describe('tableRestoreCost', () => {
  it('weighs rows and the indexes built on them, not only bytes', () => {
    // The benchmark's customers (150 MB, 1M rows, a primary key) against attachments
    // (220 MB of bytea, 110k rows, a primary key): customers takes longer to restore.
    expect(tableRestoreCost(planned(150e6, 1e6, 0), options)).toBeGreaterThan(
      tableRestoreCost(planned(220e6, 110e3, 0), options),
    );
    expect(tableRestoreCost(planned(1e6, 10_000, 2), options)).toBeGreaterThan(
      tableRestoreCost(planned(1e6, 10_000, 1), options),
    );
    expect(tableRestoreCost(planned(2e6, 0, 0), options)).toBe(2e6);
  });

  it('counts nothing for indexes a restore is told to skip', () => {
    const skipping = { ...options, skipIndexes: true, skipConstraints: true };
    expect(tableRestoreCost(planned(1e6, 10_000, 3), skipping)).toBe(
      tableRestoreCost(planned(1e6, 10_000, 0), skipping),
    );
  });

  it('counts the indexes an existing table keeps up to date while it loads', () => {
    const skipping = { ...options, skipIndexes: true, skipConstraints: true };
    expect(tableRestoreCost(planned(1e6, 10_000, 2, true), skipping)).toBe(
      tableRestoreCost(planned(1e6, 10_000, 2, false), options),
    );
  });
});
