import { compileGlob } from '../../util/glob.js';

/** Tests a relative POSIX path (no leading `./`, no trailing `/`). */
export type PathMatcher = (name: string) => boolean;

function normalizePattern(pattern: string): string {
  let p = pattern.trim();
  while (p.startsWith('./')) p = p.slice(2);
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * Compiles glob patterns (`compileGlob`: `*`, `**`, `?`, classes, dotfiles included; braces are
 * literal), matched in time linear in the name. Like .gitignore, a pattern without a `/`
 * matches the last path segment at any depth (`*.log`, `node_modules`); a pattern with one
 * matches the whole relative path (`src/**`, `docs/*.md`).
 */
export function compilePatterns(patterns: readonly string[]): PathMatcher {
  const matchers = patterns.map(normalizePattern).map((pattern) => {
    const match = compileGlob(pattern);
    if (pattern.includes('/')) return match;
    return (name: string) => match(name.slice(name.lastIndexOf('/') + 1));
  });
  return (name) => matchers.some((match) => match(name));
}

/** True when `name` or one of its ancestor directories matches: selecting a directory selects its subtree. */
export function selfOrAncestorMatches(match: PathMatcher, name: string): boolean {
  if (match(name)) return true;
  for (let slash = name.lastIndexOf('/'); slash > 0; slash = name.lastIndexOf('/', slash - 1)) {
    if (match(name.slice(0, slash))) return true;
  }
  return false;
}

// A restore or run selection: exact entry names or globs matched against the whole relative
// path, as the service's own selection does (`*.txt` is top-level only, `**/*.txt` matches at
// any depth); a selected directory selects everything beneath it. `null` means everything.
export function compileSelection(paths: readonly string[] | undefined): PathMatcher | null {
  if (!paths || paths.length === 0) return null;
  const normalized = paths.map(normalizePattern);
  const exact = new Set(normalized);
  const globs = normalized.map((pattern) => compileGlob(pattern));
  const match: PathMatcher = (name) => exact.has(name) || globs.some((glob) => glob(name));
  return (name) => selfOrAncestorMatches(match, name);
}
