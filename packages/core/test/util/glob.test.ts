import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/util/glob.js';

// [pattern, value, expected] in path mode (the default).
const PATHS: [string, string, boolean][] = [
  ['*.txt', 'a.txt', true],
  ['*.txt', '.txt', true],
  ['*', '.hidden', true],
  ['*', 'a/b', false],
  ['*/*', 'a/b', true],
  ['a*b', 'ab', true],
  ['a*b', 'axxb', true],
  ['a*b', 'axxbc', false],
  ['?', 'a', true],
  ['?', '/', false],
  ['?', '', false],
  ['a?c', 'abc', true],
  ['a?c', 'ac', false],
  ['??', '日本', true],
  ['?', '😀', true],
  ['[abc]x', 'bx', true],
  ['[abc]x', 'dx', false],
  ['[a-c]x', 'bx', true],
  ['[a-c]x', 'dx', false],
  ['[!a]x', 'bx', true],
  ['[!a]x', 'ax', false],
  ['[^a]x', 'bx', true],
  ['[^a]x', 'ax', false],
  ['[!a]', '/', false],
  ['[]]', ']', true],
  ['[]a]', 'a', true],
  ['[a-]', '-', true],
  ['[a', '[a', true],
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['a\\?', 'a?', true],
  ['a\\?', 'ab', false],
  ['docs/*.md', 'docs/readme.md', true],
  ['docs/*.md', 'docs/guide/intro.md', false],
  ['docs/**', 'docs', true],
  ['docs/**', 'docs/guide/intro.md', true],
  ['docs/**', 'docsx/a', false],
  ['**/x', 'x', true],
  ['**/x', 'a/b/x', true],
  ['**/x', 'a/bx', false],
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/y/b', true],
  ['a/**/b', 'ax/b', false],
  ['a/**/b', 'a/x/yb', false],
  ['a/**/**/b', 'a/b', true],
  ['**/**', 'a', true],
  ['**', 'a/b/.c', true],
  ['**/*.txt', 'a.txt', true],
  ['**/*.txt', 'a/b/c.txt', true],
  ['**/*.txt', 'a/b/c.md', false],
  ['a**b', 'axxb', true],
  ['a**b', 'a/b', false],
  ['a/***', 'a/b/c', false],
  ['a/**b', 'a/xb', true],
  ['a/**b', 'a/x/b', false],
  // Braces, extglobs and a leading `!` are literal.
  ['{a,b}', 'a', false],
  ['{a,b}', '{a,b}', true],
  ['!a', 'b', false],
  ['!a', '!a', true],
  ['@(a)', 'a', false],
  ['@(a)', '@(a)', true],
  ['a+(b)', 'a+(b)', true],
  // Regex metacharacters are nothing special.
  ['a.c', 'abc', false],
  ['a.c', 'a.c', true],
  ['(a|b)$', '(a|b)$', true],
  ['ünï cödé/*', 'ünï cödé/файл.txt', true],
  ['Readme', 'readme', false],
];

describe('compileGlob: path mode', () => {
  it.each(PATHS)('%j against %j is %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });

  it('handles patterns with more than 32 positions (several state words)', () => {
    const pattern = `${'ab'.repeat(40)}*${'cd'.repeat(20)}`;
    const match = compileGlob(pattern);
    expect(match(`${'ab'.repeat(40)}xyz${'cd'.repeat(20)}`)).toBe(true);
    expect(match(`${'ab'.repeat(40)}${'cd'.repeat(20)}`)).toBe(true);
    expect(match(`${'ab'.repeat(40)}${'cd'.repeat(19)}c`)).toBe(false);
    expect(match(`${'ab'.repeat(39)}${'cd'.repeat(20)}`)).toBe(false);
    const stars = compileGlob(`${'a*'.repeat(100)}b`);
    expect(stars(`${'a'.repeat(100)}b`)).toBe(true);
    expect(stars(`${'a'.repeat(99)}b`)).toBe(false);
    expect(stars(`a${'xa'.repeat(99)}yb`)).toBe(true);
    expect(stars(`a${'xa'.repeat(98)}yb`)).toBe(false);
  });
});

describe('compileGlob: name mode (paths: false)', () => {
  const CASES: [string, string, boolean, boolean][] = [
    // pattern, value, ignoreCase, expected
    ['temp_*', 'temp_1', false, true],
    ['*', 'a/b', false, true],
    ['a/*', 'a/b/c', false, true],
    ['**', 'anything', false, true],
    ['Us*', 'users', true, true],
    ['Us*', 'users', false, false],
    ['[A-C]x', 'bX', true, true],
    ['[a-c]x', 'BX', true, true],
    ['[!a]x', 'AX', true, false],
    ['ÉTÉ', 'été', true, true],
    ['ÉTÉ', 'été', false, false],
    ['{a,b}', '{a,b}', false, true],
  ];
  it.each(CASES)('%j against %j (ignoreCase %s) is %s', (pattern, value, ignoreCase, expected) => {
    expect(compileGlob(pattern, { paths: false, ignoreCase })(value)).toBe(expected);
  });
});

/** CPU milliseconds of the fastest of three rounds of 1,000 matches (CPU time: other work on the machine does not count). */
function cpuMsPer1000(match: (value: string) => boolean, value: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < 1000; i++) match(value);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

describe('compileGlob: time is linear in the value', () => {
  const NAME = 4096;
  const segments = (segment: string) => `${segment}/`.repeat(NAME / (segment.length + 1)).slice(0, NAME);
  // [pattern, value, expected in path mode]
  const pathological: [string, string, boolean][] = [
    // The classic catastrophic-backtracking glob, against a long name that almost matches.
    [`${'*a'.repeat(12)}*b`, 'a'.repeat(NAME), false],
    [`${'*a'.repeat(12)}*b`, `${'a'.repeat(NAME - 1)}b`, true],
    [`${'*a'.repeat(12)}*b`, `${'a'.repeat(NAME - 1)}c`, false],
    ['**/**/**/**/**/x', `${'a/'.repeat(NAME / 2 - 1)}y`, false],
    ['**/**/**/**/**/x', `${'a/'.repeat(NAME / 2 - 1)}x`, true],
    [`${'a*'.repeat(100)}`, `${'a'.repeat(99)}${'b'.repeat(NAME - 99)}`, false],
    [`${'a*'.repeat(100)}`, 'a'.repeat(NAME), true],
    [`${'a*'.repeat(100)}c`, 'a'.repeat(NAME), false],
    [`${'*?'.repeat(60)}z`, 'y'.repeat(NAME), false],
    [`**/${'*a'.repeat(12)}*b/**/c`, segments('a'.repeat(200)), false],
  ];

  it.each(pathological)(
    '%s takes well under 100 ms per 1,000 matches of 4,096 characters',
    (pattern, value, expected) => {
      expect(value.length).toBeGreaterThan(NAME - 200);
      for (const paths of [true, false]) {
        const match = compileGlob(pattern, { paths });
        if (paths) expect(match(value)).toBe(expected);
        expect(cpuMsPer1000(match, value)).toBeLessThan(100);
      }
    },
  );

  // The longest patterns the API accepts (256 characters) built to make every position live.
  const longest: [string, string, boolean][] = [
    [`*?${'a'.repeat(200)}b*`, 'a'.repeat(NAME), false],
    [`**/${'a/'.repeat(120)}b/**`, segments('a'), false],
    [`**/${'?/'.repeat(120)}b/**`, segments('a'), false],
    [`**/${'*/'.repeat(120)}b/**`, segments('a'), false],
    [`**/${'*/'.repeat(120)}a/**`, segments('a'), true],
  ];

  it.each(longest)('%s stays bounded (under 1 s per 1,000 matches)', (pattern, value, expected) => {
    expect(pattern.length).toBeLessThanOrEqual(256);
    for (const paths of [true, false]) {
      const match = compileGlob(pattern, { paths });
      if (paths) expect(match(value)).toBe(expected);
      expect(cpuMsPer1000(match, value)).toBeLessThan(1000);
    }
  });
});
