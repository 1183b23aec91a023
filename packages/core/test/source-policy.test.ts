import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What the packages' sources, as committed, must not contain, so that every line of them is code
// that tsc, the linter and a reader see as such. (Generated files are not committed.)

const root = new URL('../../../', import.meta.url).pathname;
const files = execFileSync('git', ['ls-files', '-z', '--', 'packages/*/src/**'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\0')
  .filter((path) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(path))
  .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));

function offenders(pattern: RegExp): string[] {
  return files.filter((file) => pattern.test(file.text)).map((file) => file.path);
}

describe('package sources', () => {
  it('are read', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(offenders(/createBackupService/).length).toBeGreaterThan(0);
  });

  it('evaluate no code from strings', () => {
    expect(
      offenders(/\beval\s*:\s*true|\beval\s*\(|new Function\s*\(|runInNewContext|runInThisContext/),
    ).toEqual([]);
  });

  it('change no V8 flag of the host process', () => {
    expect(offenders(/setFlagsFromString/)).toEqual([]);
  });

  it('hold no binary as text (a long base64 literal)', () => {
    expect(offenders(/['"`][A-Za-z0-9+/]{200,}={0,2}['"`]/)).toEqual([]);
  });

  it('reach into no private member of zstd-napi', () => {
    expect(offenders(/\.cctx\b|\.dctx\b/)).toEqual([]);
  });

  it('name the PostgreSQL source type names in one file', () => {
    expect(offenders(/['"]postgresql['"]/)).toEqual(['packages/core/src/sources/postgres/postgres-types.ts']);
  });
});
