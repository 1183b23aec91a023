import { BackupError } from '@backupkit/core';

/** Deepest JSON nesting a request body may have unless the host says otherwise. */
export const DEFAULT_MAX_JSON_DEPTH = 32;

function tooDeep(maxDepth: number): BackupError {
  return new BackupError('invalid_request', `Request body nests deeper than ${maxDepth} levels`, {
    details: { max_depth: maxDepth },
  });
}

/**
 * Refuses JSON text nesting objects / arrays deeper than `maxDepth`, before anything parses
 * it: one linear pass over the characters, brackets inside strings ignored. Malformed text
 * passes through (the parser reports it).
 * @throws BackupError `invalid_request` when the text nests too deep.
 */
export function checkJsonTextDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i += 1; // backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > maxDepth) throw tooDeep(maxDepth);
    } else if ((code === 0x7d || code === 0x5d) && depth > 0) {
      // Never below zero: stray closers in malformed text must not buy room for deeper nesting.
      depth -= 1;
    }
  }
}

/**
 * Refuses an already-parsed value nesting objects / arrays deeper than `maxDepth`, walking it
 * with an explicit stack (no recursion to overflow). A container reached twice (a cycle or a
 * shared reference: never the output of a JSON parser) is refused as not plain JSON.
 * @throws BackupError `invalid_request` when the value nests too deep or is not a tree.
 */
export function checkJsonValueDepth(value: unknown, maxDepth: number): void {
  const seen = new Set<object>();
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) throw tooDeep(maxDepth);
    if (seen.has(current)) {
      throw new BackupError('invalid_request', 'Request body is not plain JSON', {
        details: { body: 'not_a_tree' },
      });
    }
    seen.add(current);
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
