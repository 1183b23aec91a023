import { describe, expect, it } from 'vitest';
import { referencedTable, skippedKeyWarning } from '../../../src/sources/postgres/foreign-key-targets.js';

describe('referencedTable', () => {
  it('uses the table recorded at backup time', () => {
    expect(
      referencedTable({
        name: 'b_a_fk',
        type: 'f',
        definition: 'FOREIGN KEY (a_id) REFERENCES public.a(id)',
        references: { schema: 'My "App"', table: 'a' },
      }),
    ).toBe('"My ""App"""."a"');
  });

  it('reads older backups definitions, quoted names included', () => {
    const of = (definition: string) => referencedTable({ name: 'k', type: 'f', definition });
    expect(of('FOREIGN KEY (a_id) REFERENCES public.a(id)')).toBe('public.a');
    expect(of('FOREIGN KEY (x) REFERENCES "Odd Schema"."Tab.le"(id) ON DELETE CASCADE')).toBe(
      '"Odd Schema"."Tab.le"',
    );
    expect(of('FOREIGN KEY (x) REFERENCES "we""ird"(id)')).toBe('"we""ird"');
    expect(of('CHECK (x > 0)')).toBeNull();
  });

  it('says which key was left out and why', () => {
    expect(skippedKeyWarning({ table: 'public.b', constraint: 'b_a_fk', references: 'public.a' })).toBe(
      'Foreign key b_a_fk on public.b was not created: it references public.a, which is neither restored nor in the target',
    );
  });
});
