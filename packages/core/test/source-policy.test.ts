import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What the package's own sources must not contain, so that every line of it is code that tsc,
// the linter and a reader see as such.

const root = new URL('../../../', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name, 'src'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

const files = packages.flatMap(sourceFiles).map((path) => ({ path, text: readFileSync(path, 'utf8') }));

function offenders(pattern: RegExp): string[] {
  return files.filter((file) => pattern.test(file.text)).map((file) => file.path.slice(root.length));
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
