import { describe, expect, it } from 'vitest';
import { TablePattern } from '../../../src/sources/postgres/table-match.js';

const matches = (pattern: string, schema: string, name: string) =>
  new TablePattern(pattern).matches({ schema, name });

describe('TablePattern globs', () => {
  it('ignores case in unquoted parts only; `*`, `?` and classes are globs, braces literal', () => {
    expect(matches('Temp_*', 'public', 'temp_1')).toBe(true);
    expect(matches('"Temp_*"', 'public', 'temp_1')).toBe(false);
    expect(matches('"Temp_*"', 'public', 'Temp_1')).toBe(true);
    expect(matches('AUDIT.ev?nts', 'audit', 'events')).toBe(true);
    expect(matches('audit.[a-e]*', 'audit', 'Events')).toBe(true);
    expect(matches('audit.[!e]*', 'audit', 'events')).toBe(false);
    expect(matches('{a,b}', 'public', 'a')).toBe(false);
    expect(matches('{a,b}', 'public', '{a,b}')).toBe(true);
    // `/` is an ordinary character in a table name.
    expect(matches('*', 'public', 'a/b')).toBe(true);
  });

  it('answers pathological patterns against long names quickly', () => {
    const name = 'a'.repeat(4096);
    const pattern = new TablePattern(`${'*a'.repeat(12)}*b`);
    const started = process.cpuUsage();
    for (let i = 0; i < 1000; i++) expect(pattern.matches({ schema: 'public', name })).toBe(false);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(100);
  });
});
