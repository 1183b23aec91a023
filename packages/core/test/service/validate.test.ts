import {
  BackupError,
  createJobSchema,
  listJobsQuerySchema,
  parseInput,
  safeParseInput,
  updateJobSchema,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const job = {
  job_name: 'Files',
  source: { type: 'filesystem', path: '/srv' },
  destination: { type: 'local', path: 'files' },
};

/** A schema that counts its parses (a transform runs once per parse). */
function counted() {
  let parses = 0;
  const schema = z.strictObject({ n: z.number() }).transform((value) => {
    parses++;
    return { ...value };
  });
  return { schema, parses: () => parses };
}

describe('parseInput parses once', () => {
  it('hands back what it produced, as it is, without parsing it again', () => {
    const { schema, parses } = counted();
    const parsed = parseInput(schema, { n: 1 });
    expect(parses()).toBe(1);
    expect(parseInput(schema, parsed)).toBe(parsed);
    expect(parses()).toBe(1);

    const created = parseInput(createJobSchema, job);
    expect(created).toMatchObject({ backup_type: 'full' });
    expect(parseInput(createJobSchema, created)).toBe(created);
  });

  it('trusts nothing else: a copy, JSON, another schema’s output and the caller’s own object are parsed', () => {
    const { schema, parses } = counted();
    const parsed = parseInput(schema, { n: 1 });
    expect(parseInput(schema, { ...parsed })).not.toBe(parsed);
    expect(parseInput(schema, JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
    expect(parses()).toBe(3);

    // What one schema produced is no pass for another.
    const patch = parseInput(updateJobSchema, { job_name: 'x' });
    expect(() => parseInput(createJobSchema, patch)).toThrow(BackupError);

    // A schema whose output is its input (z.any) does not bless the caller's object.
    const own = { n: 1 };
    expect(parseInput(z.any(), own)).toBe(own);
    own.n = Number.NaN;
    expect(() => parseInput(schema, own)).toThrow(BackupError);
  });

  it('an invalid look-alike of a parsed object is refused', () => {
    const created = parseInput(createJobSchema, job);
    const forged = { ...created, backup_type: 'weekly' };
    expect(() => parseInput(createJobSchema, forged)).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });

  it('safeParseInput answers like safeParse and remembers its successes', () => {
    const query = safeParseInput(listJobsQuerySchema, { limit: '2' });
    expect(query).toEqual({ success: true, data: { limit: 2, offset: 0 } });
    expect(query.success && parseInput(listJobsQuerySchema, query.data)).toBe(query.data);
    expect(safeParseInput(listJobsQuerySchema, query.data)).toEqual({ success: true, data: query.data });
    const bad = safeParseInput(listJobsQuerySchema, { limit: '0' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['limit']);
  });
});
