/** Glob syntax: the tokens a pattern is made of (see `compileGlob` for what they mean). */

export type Token =
  | { type: 'char'; code: number }
  | { type: 'any' }
  | { type: 'class'; negated: boolean; ranges: number[] }
  | { type: 'star' }
  | { type: 'separator' };

/** A token that matches exactly one character. */
export type StepToken = Exclude<Token, { type: 'star' } | { type: 'separator' }>;
export const STAR: Token = { type: 'star' };
const ANY: Token = { type: 'any' };
const SEPARATOR: Token = { type: 'separator' };

/** The tokens of `pattern`; `/` is a separator only when `paths`. */
export function tokenize(pattern: string, paths: boolean): Token[] {
  const chars = Array.from(pattern, (char) => char.codePointAt(0) as number);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const code = chars[i] as number;
    if (code === BACKSLASH && i + 1 < chars.length) {
      const escaped = chars[++i] as number;
      tokens.push(paths && escaped === SLASH ? SEPARATOR : { type: 'char', code: escaped });
    } else if (code === ASTERISK) tokens.push(STAR);
    else if (code === QUESTION) tokens.push(ANY);
    else if (paths && code === SLASH) tokens.push(SEPARATOR);
    else if (code === OPEN_BRACKET) {
      const parsed = parseClass(chars, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else tokens.push({ type: 'char', code });
    } else tokens.push({ type: 'char', code });
  }
  return tokens;
}

const BACKSLASH = 0x5c;
const ASTERISK = 0x2a;
const QUESTION = 0x3f;
const SLASH = 0x2f;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const EXCLAMATION = 0x21;
const CARET = 0x5e;
const HYPHEN = 0x2d;

/** A class starting at `chars[start]` (`[`), or null when it is never closed (then `[` is literal). */
function parseClass(chars: number[], start: number): { token: Token; end: number } | null {
  let i = start + 1;
  const negated = chars[i] === EXCLAMATION || chars[i] === CARET;
  if (negated) i++;
  const ranges: number[] = [];
  let first = true;
  while (i < chars.length) {
    let code = chars[i] as number;
    if (code === CLOSE_BRACKET && !first) return { token: { type: 'class', negated, ranges }, end: i };
    first = false;
    if (code === BACKSLASH && i + 1 < chars.length) code = chars[++i] as number;
    let high = code;
    if (chars[i + 1] === HYPHEN && i + 2 < chars.length && chars[i + 2] !== CLOSE_BRACKET) {
      i += 2;
      high = chars[i] as number;
      if (high === BACKSLASH && i + 1 < chars.length) high = chars[++i] as number;
    }
    if (high >= code) ranges.push(code, high); // a reversed range matches nothing
    i++;
  }
  return null;
}

/** The tokens between separators. */
export function splitSegments(tokens: Token[]): Token[][] {
  const segments: Token[][] = [[]];
  for (const token of tokens) {
    if (token.type === 'separator') segments.push([]);
    else (segments.at(-1) as Token[]).push(token);
  }
  return segments;
}

/** `**` alone in a segment. */
export function isGlobstar(segment: Token[]): boolean {
  return segment.length === 2 && segment[0] === STAR && segment[1] === STAR;
}
