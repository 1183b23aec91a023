import type { StepToken, Token } from './glob-syntax.js';

/**
 * One segment (or, with `paths: false`, the whole value): the pattern split at its stars into
 * pieces of single-character tokens. The first piece must match at the start, the last at the
 * end, and each middle piece is found at its leftmost position after the previous one, which
 * is never worse for the pieces after it. Each search scans forward from where the previous
 * one ended, so a match reads every character of the value once.
 */
export class SegmentProgram {
  readonly #starred: boolean;
  readonly #prefix: Piece;
  readonly #middle: Piece[];
  readonly #suffix: Piece;
  readonly #minLength: number;
  /** The segment as a string when it is one exact literal. */
  readonly #exact: string | null;

  constructor(tokens: Token[], ignoreCase: boolean) {
    const pieces: StepToken[][] = [[]];
    for (const token of tokens) {
      if (token.type === 'star') pieces.push([]);
      else if (token.type !== 'separator') (pieces.at(-1) as StepToken[]).push(token);
    }
    this.#starred = pieces.length > 1;
    const compiled = pieces.map((piece) => new Piece(piece, ignoreCase));
    this.#prefix = compiled[0] as Piece;
    this.#suffix = compiled.at(-1) as Piece;
    // Consecutive stars leave empty pieces between them: nothing to find.
    this.#middle = compiled.slice(1, -1).filter((piece) => piece.length > 0);
    this.#minLength = compiled.reduce((total, piece) => total + piece.length, 0);
    this.#exact = this.#starred ? null : this.#prefix.literal;
  }

  /** Whether `value.slice(start, end)` matches. */
  match(value: string, start: number, end: number): boolean {
    // Every token takes one code point, which is one or two code units.
    if (end - start < this.#minLength) return false;
    if (this.#exact !== null)
      return end - start === this.#exact.length && value.startsWith(this.#exact, start);
    if (!this.#starred) return this.#prefix.matchAt(value, start, end) === end;
    const afterPrefix = this.#prefix.matchAt(value, start, end);
    if (afterPrefix === -1) return false;
    const suffixStart = backOff(value, end, this.#suffix.length, afterPrefix);
    if (suffixStart === -1 || this.#suffix.matchAt(value, suffixStart, end) !== end) return false;
    let at = afterPrefix;
    for (const piece of this.#middle) {
      at = piece.find(value, at, suffixStart);
      if (at === -1) return false;
    }
    return true;
  }
}

/** Where the last `count` code points of `value.slice(floor, end)` start, or -1 if there are fewer. */
function backOff(value: string, end: number, count: number, floor: number): number {
  let at = end;
  for (let k = 0; k < count; k++) {
    if (at <= floor) return -1;
    at--;
    if (at > floor && isLowSurrogate(value.charCodeAt(at)) && isHighSurrogate(value.charCodeAt(at - 1))) at--;
  }
  return at;
}

/**
 * A run of single-character tokens (literals, `?`, classes) between stars. Bit k of a
 * character's mask says whether token k accepts it; searching is shift-and over those masks,
 * `words` 32-bit words per mask.
 */
class Piece {
  readonly length: number;
  readonly #words: number;
  /** Masks of the ASCII characters, `words` entries each. */
  readonly #ascii: Int32Array;
  /** Masks of `?` tokens: the base mask of every character outside ASCII. */
  readonly #anyMask: Int32Array;
  /** Masks of literal tokens outside ASCII, by code point (every case variant). */
  readonly #literals = new Map<number, Int32Array>();
  readonly #classes: { bit: number; test: (code: number) => boolean }[] = [];
  readonly #scratch: Int32Array;
  readonly #state: Int32Array;
  /** The piece as a string when it is all exact literals: found with the native search. */
  readonly literal: string | null;

  constructor(tokens: StepToken[], ignoreCase: boolean) {
    this.length = tokens.length;
    this.literal =
      !ignoreCase && tokens.every((token) => token.type === 'char')
        ? String.fromCodePoint(...tokens.map((token) => (token as { code: number }).code))
        : null;
    const words = Math.max(1, Math.ceil(tokens.length / 32));
    this.#words = words;
    this.#ascii = new Int32Array(128 * words);
    this.#anyMask = new Int32Array(words);
    this.#scratch = new Int32Array(words);
    this.#state = new Int32Array(words);
    tokens.forEach((token, bit) => {
      if (token.type === 'any') {
        setBit(this.#anyMask, bit);
        for (let code = 0; code < 128; code++) setBit(this.#ascii, code * words * 32 + bit);
      } else if (token.type === 'char') {
        for (const code of caseVariants(token.code, ignoreCase)) {
          if (code < 128) setBit(this.#ascii, code * words * 32 + bit);
          else {
            const mask = this.#literals.get(code) ?? new Int32Array(words);
            this.#literals.set(code, mask);
            setBit(mask, bit);
          }
        }
      } else {
        const test = classTest(token, ignoreCase);
        for (let code = 0; code < 128; code++) if (test(code)) setBit(this.#ascii, code * words * 32 + bit);
        this.#classes.push({ bit, test });
      }
    });
  }

  /** Where the piece ends when it matches at `start` (within `limit`), else -1. */
  matchAt(value: string, start: number, limit: number): number {
    let at = start;
    for (let bit = 0; bit < this.length; bit++) {
      if (at >= limit) return -1;
      let code = value.charCodeAt(at++);
      let mask: number;
      if (code < 128) mask = this.#ascii[code * this.#words + (bit >>> 5)] as number;
      else {
        if (isHighSurrogate(code) && at < limit && isLowSurrogate(value.charCodeAt(at))) {
          code = combine(code, value.charCodeAt(at++));
        }
        mask = this.#otherMask(code)[bit >>> 5] as number;
      }
      if ((mask & (1 << (bit & 31))) === 0) return -1;
    }
    return at;
  }

  /** Where the leftmost occurrence starting at or after `from` and ending by `limit` ends, else -1. */
  find(value: string, from: number, limit: number): number {
    if (this.literal !== null) {
      const at = value.indexOf(this.literal, from);
      return at === -1 || at + this.literal.length > limit ? -1 : at + this.literal.length;
    }
    return this.#words === 1 ? this.#findOneWord(value, from, limit) : this.#findWords(value, from, limit);
  }

  #findOneWord(value: string, from: number, limit: number): number {
    const ascii = this.#ascii;
    const found = 1 << (this.length - 1);
    let state = 0;
    for (let at = from; at < limit; ) {
      let code = value.charCodeAt(at++);
      let mask: number;
      if (code < 128) mask = ascii[code] as number;
      else {
        if (isHighSurrogate(code) && at < limit && isLowSurrogate(value.charCodeAt(at))) {
          code = combine(code, value.charCodeAt(at++));
        }
        mask = this.#otherMask(code)[0] as number;
      }
      state = ((state << 1) | 1) & mask;
      if (state & found) return at;
    }
    return -1;
  }

  #findWords(value: string, from: number, limit: number): number {
    const words = this.#words;
    const ascii = this.#ascii;
    const state = this.#state;
    const last = this.length - 1;
    const foundWord = last >>> 5;
    const found = 1 << (last & 31);
    state.fill(0);
    for (let at = from; at < limit; ) {
      let code = value.charCodeAt(at++);
      let masks: Int32Array;
      let offset = 0;
      if (code < 128) {
        masks = ascii;
        offset = code * words;
      } else {
        if (isHighSurrogate(code) && at < limit && isLowSurrogate(value.charCodeAt(at))) {
          code = combine(code, value.charCodeAt(at++));
        }
        masks = this.#otherMask(code);
      }
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const current = state[w] as number;
        state[w] = ((current << 1) | carry) & (masks[offset + w] as number);
        carry = current >>> 31;
      }
      if ((state[foundWord] as number) & found) return at;
    }
    return -1;
  }

  /** The mask of a character outside ASCII (in shared scratch space: use it before the next call). */
  #otherMask(code: number): Int32Array {
    const mask = this.#scratch;
    mask.set(this.#anyMask);
    const literal = this.#literals.get(code);
    if (literal) for (let w = 0; w < this.#words; w++) mask[w] = (mask[w] as number) | (literal[w] as number);
    for (const { bit, test } of this.#classes) if (test(code)) setBit(mask, bit);
    return mask;
  }
}
export function setBit(words: Int32Array, bit: number): void {
  words[bit >>> 5] = (words[bit >>> 5] as number) | (1 << (bit & 31));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function combine(high: number, low: number): number {
  return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
}

/** The code point and, ignoring case, its one-code-point lower- and upper-case forms. */
function caseVariants(code: number, ignoreCase: boolean): number[] {
  if (!ignoreCase) return [code];
  const variants = new Set([code]);
  const char = String.fromCodePoint(code);
  for (const other of [char.toLowerCase(), char.toUpperCase()]) {
    const point = other.codePointAt(0) as number;
    if (String.fromCodePoint(point) === other) variants.add(point);
  }
  return [...variants];
}

function classTest(
  token: { negated: boolean; ranges: number[] },
  ignoreCase: boolean,
): (code: number) => boolean {
  const { negated, ranges } = token;
  const inRanges = (code: number) => {
    for (let r = 0; r < ranges.length; r += 2) {
      if (code >= (ranges[r] as number) && code <= (ranges[r + 1] as number)) return true;
    }
    return false;
  };
  const hit = ignoreCase ? (code: number) => caseVariants(code, true).some(inRanges) : inRanges;
  return (code) => hit(code) !== negated;
}
