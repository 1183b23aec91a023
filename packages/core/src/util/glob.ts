/**
 * Glob matching without backtracking. Stars split a segment into pieces of one-character
 * tokens; the first piece is matched at the start, the last at the end, and each middle piece
 * at its leftmost place after the previous one (never worse for the rest, so nothing is ever
 * retried). Pieces are searched with shift-and over bit masks, 32 pattern positions per word;
 * globstars split a path pattern into groups of segments found the same way. A match thus
 * reads each character about once, at a cost per character bounded by the pattern's length
 * / 32: (value length × pattern length) with a small constant in the worst case, whatever the
 * pattern. (Glob libraries usually compile to backtracking regexes, which take exponential
 * time on patterns such as `*a*a*a*…*b`.)
 *
 * Syntax: `*` (any run of characters), `?` (one character), classes `[abc]`, `[a-z]`, `[!x]`,
 * `[^x]` (`]` first in a class is literal), and `\` to escape the next character. In path mode
 * `/` separates segments: `*`, `?` and classes never match it, and `**` alone in a segment
 * matches any number of whole segments, none included (`a/**` matches `a`, `**\/x` matches
 * `x`). Dotfiles are ordinary names. Everything else is literal: braces `{a,b}`, extglobs
 * `@(x)`, a leading `!` and POSIX classes `[[:alpha:]]` have no special meaning.
 */

import { SegmentProgram, setBit } from './glob-segment.js';
import { isGlobstar, splitSegments, tokenize } from './glob-syntax.js';

export interface GlobOptions {
  /**
   * `/` separates path segments (default true). False: `/` is an ordinary character and `**`
   * is the same as `*`.
   */
  paths?: boolean;
  /** Letters match in either case (default false). */
  ignoreCase?: boolean;
}

export type GlobMatcher = (value: string) => boolean;

/**
 * Compiles `pattern` (see the module comment for the syntax). Never throws: anything that is
 * not glob syntax matches itself.
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): GlobMatcher {
  const paths = options.paths !== false;
  const tokens = tokenize(pattern, paths);
  const ignoreCase = options.ignoreCase === true;
  if (!paths) {
    const program = new SegmentProgram(tokens, ignoreCase);
    return (value) => program.match(value, 0, value.length);
  }
  // Equal segments share one program: a group search matches each distinct one once per segment.
  const programs = new Map<string, SegmentProgram>();
  const segments = splitSegments(tokens).map((segment) => {
    if (isGlobstar(segment)) return GLOBSTAR;
    const key = JSON.stringify(segment);
    const program = programs.get(key) ?? new SegmentProgram(segment, ignoreCase);
    programs.set(key, program);
    return program;
  });
  const collapsed = segments.filter((segment, i) => !(segment === GLOBSTAR && segments[i - 1] === GLOBSTAR));
  const only = collapsed.length === 1 ? collapsed[0] : undefined;
  if (only instanceof SegmentProgram) {
    return (value) => !value.includes('/') && only.match(value, 0, value.length);
  }
  return pathMatcher(collapsed);
}

const GLOBSTAR = Symbol('globstar');
type Segment = SegmentProgram | typeof GLOBSTAR;

/**
 * Matches `/`-separated values segment by segment, the way a segment matches characters:
 * globstars split the pattern into groups of segments; the first group must match the first
 * segments, the last group the last ones (found from the end, without reading the rest), and
 * each middle group is found at its leftmost position after the previous one.
 */
function pathMatcher(segments: Segment[]): GlobMatcher {
  const groups: SegmentProgram[][] = [[]];
  for (const segment of segments) {
    if (segment === GLOBSTAR) groups.push([]);
    else (groups.at(-1) as SegmentProgram[]).push(segment);
  }
  const starred = groups.length > 1;
  const prefix = groups[0] as SegmentProgram[];
  const suffix = groups.at(-1) as SegmentProgram[];
  const middle = groups
    .slice(1, -1)
    .filter((group) => group.length > 0)
    .map((group) => new GroupSearch(group));
  return (value) => {
    // Segment starts are 0 or just after a `/`; a segment ends at the next `/` or the end.
    let at = 0;
    for (const program of prefix) {
      if (at > value.length) return false;
      const end = segmentEnd(value, at);
      if (!program.match(value, at, end)) return false;
      at = end + 1;
    }
    if (!starred) return at === value.length + 1;
    let suffixStart = value.length + 1;
    for (let k = suffix.length - 1; k >= 0; k--) {
      const end = suffixStart - 1;
      if (end < at) return false;
      const start = end === 0 ? 0 : value.lastIndexOf('/', end - 1) + 1;
      if (start < at || !(suffix[k] as SegmentProgram).match(value, start, end)) return false;
      suffixStart = start;
    }
    // Middle groups lie in the segments from `at` up to the `/` before the suffix.
    const limit = suffixStart - 1;
    for (const group of middle) {
      const end = group.find(value, at, limit);
      if (end === -1) return false;
      at = end + 1;
    }
    return true;
  };
}

function segmentEnd(value: string, start: number): number {
  const slash = value.indexOf('/', start);
  return slash === -1 ? value.length : slash;
}

/**
 * Finds a run of segment programs in a value's segments: shift-and over segments, where bit
 * k of a segment's mask says whether program k matches it. Each distinct program is matched
 * once per segment, however often it repeats in the run.
 */
class GroupSearch {
  readonly #length: number;
  readonly #words: number;
  /** The distinct programs, and the positions each holds in the run (`words` words each). */
  readonly #programs: SegmentProgram[] = [];
  readonly #positions: Int32Array;
  readonly #mask: Int32Array;
  readonly #state: Int32Array;

  constructor(group: SegmentProgram[]) {
    this.#length = group.length;
    const words = Math.ceil(group.length / 32);
    this.#words = words;
    this.#mask = new Int32Array(words);
    this.#state = new Int32Array(words);
    const byProgram = new Map<SegmentProgram, Int32Array>();
    group.forEach((program, position) => {
      const positions = byProgram.get(program) ?? new Int32Array(words);
      byProgram.set(program, positions);
      setBit(positions, position);
    });
    this.#positions = new Int32Array(byProgram.size * words);
    for (const [program, positions] of byProgram) {
      this.#positions.set(positions, this.#programs.length * words);
      this.#programs.push(program);
    }
  }

  /** Where the leftmost run starting at segment start `from` and ending by `limit` ends, else -1. */
  find(value: string, from: number, limit: number): number {
    const words = this.#words;
    const mask = this.#mask;
    const state = this.#state;
    const programs = this.#programs;
    const positions = this.#positions;
    const last = this.#length - 1;
    state.fill(0);
    for (let at = from; at <= limit; ) {
      const end = segmentEnd(value, at);
      if (end > limit) return -1;
      for (let w = 0; w < words; w++) mask[w] = 0;
      for (let p = 0; p < programs.length; p++) {
        if (!(programs[p] as SegmentProgram).match(value, at, end)) continue;
        for (let w = 0; w < words; w++) mask[w] = (mask[w] as number) | (positions[p * words + w] as number);
      }
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const current = state[w] as number;
        state[w] = ((current << 1) | carry) & (mask[w] as number);
        carry = current >>> 31;
      }
      if ((state[last >>> 5] as number) & (1 << (last & 31))) return end;
      at = end + 1;
    }
    return -1;
  }
}
