import { describe, expect, it } from 'vitest';
import { selectTables, TablePattern } from '../../../src/sources/postgres/table-match.js';

const tables = [
  { schema: 'public', name: 'users' },
  { schema: 'public', name: 'temp_a' },
  { schema: 'public', name: 'log_2024' },
  { schema: 'audit', name: 'users' },
  { schema: 'My.Schema', name: 'Mixed' },
];

describe('table patterns', () => {
  it('matches bare names in every schema, qualified names in theirs, globs and quoted parts', () => {
    expect(tables.filter((t) => new TablePattern('users').matches(t))).toHaveLength(2);
    expect(tables.filter((t) => new TablePattern('audit.users').matches(t))).toEqual([tables[3]]);
    expect(tables.filter((t) => new TablePattern('Users').matches(t))).toHaveLength(2);
    expect(tables.filter((t) => new TablePattern('"Users"').matches(t))).toHaveLength(0);
    expect(tables.filter((t) => new TablePattern('"My.Schema"."Mixed"').matches(t))).toEqual([tables[4]]);
    expect(tables.filter((t) => new TablePattern('"My.Schema".*').matches(t))).toEqual([tables[4]]);
    expect(new TablePattern('temp_*').literal).toBe(false);
    expect(new TablePattern('users').literal).toBe(true);
  });

  it('includes, then excludes, and names literal includes that matched nothing', () => {
    const { selected, unknown } = selectTables(
      tables,
      ['public.*', 'payments', 'nothing_*'],
      ['temp_*', 'log_*'],
    );
    expect(selected).toEqual([tables[0]]);
    expect(unknown).toEqual(['payments']);
    expect(selectTables(tables, [], ['*users']).selected.map((t) => t.name)).toEqual([
      'temp_a',
      'log_2024',
      'Mixed',
    ]);
  });
});
