import type { z } from 'zod';
import { BackupError, invalidConfigError } from '../errors.js';

const SECTION_LABELS: Record<string, string> = {
  source: 'Invalid source configuration',
  destination: 'Invalid destination configuration',
  schedule: 'Invalid schedule configuration',
  retention: 'Invalid retention policy',
  compression: 'Invalid compression configuration',
  encryption: 'Invalid encryption configuration',
  verification: 'Invalid verification configuration',
  notifications: 'Invalid notification settings',
  execution_options: 'Invalid execution options',
  custom_parameters: 'Invalid custom parameters',
  restore_options: 'Invalid restore options',
  test_restore_options: 'Invalid test restore options',
};

type PathSegment = PropertyKey;

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Whether the caller's input has the key at `path` at all (absent means "missing", not "wrong"). */
function isAbsent(input: unknown, path: readonly PathSegment[]): boolean {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return true;
    if (!Object.hasOwn(current, segment)) return true;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current === undefined;
}

/** Human-readable messages naming the field; never the input value (it may be a secret). */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `Unknown field: ${formatPath([...path, key])}`);
  }
  if (path.length === 0 && issue.code === 'invalid_type') {
    return ['Request body must be a JSON object'];
  }
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && isAbsent(input, path)) {
    return [`Missing required field: ${formatPath(path)}`];
  }
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    message = `must be one of ${issue.options.map((option) => String(option)).join(', ')}`;
  } else if (issue.code === 'invalid_value' && Array.isArray(issue.values) && !message.startsWith('must')) {
    message = `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
  }
  const where = formatPath(path);
  const head = path[0];
  if (!(typeof head === 'string' && SECTION_LABELS[head])) return [`Invalid field ${where}: ${message}`];
  const joined = /^(must|is|are) /.test(message) ? `${where} ${message}` : `${where}: ${message}`;
  return [`${SECTION_LABELS[head]}: ${joined}`];
}

/** Every problem zod found, as the `details.issues` strings of a 422. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    for (const line of describeIssue(issue, input)) if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** The 422: `validation_failed` listing every issue. */
export function validationError(issues: string[]): BackupError {
  return new BackupError('validation_failed', 'Backup validation failed', { details: { issues } });
}

/** Deeper than any input the service takes; a deeper one is refused before it is parsed. */
export const MAX_INPUT_DEPTH = 32;

/**
 * How deeply objects and arrays nest in `value` (a scalar is 0), counted without recursion and
 * giving up past `limit` — so a hostile 100,000-level document costs no stack and little time.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: here });
    }
  }
  return deepest;
}

/**
 * Objects a parse produced, with the schema that produced them. Keyed by identity: only this
 * module's parses add to it, so nothing a caller builds (let alone a JSON body) can pass for one.
 */
const parsedBy = new WeakMap<object, z.ZodType>();

function remember<T>(schema: z.ZodType, input: unknown, output: T): T {
  // A schema whose output is its input (none of the service's) must not bless the caller's object.
  if (typeof output === 'object' && output !== null && output !== input) parsedBy.set(output, schema);
  return output;
}

/** `input` as it is when `schema` itself produced it (the HTTP adapter parsed it first). */
function alreadyParsed<S extends z.ZodType>(schema: S, input: unknown): input is z.output<S> {
  return typeof input === 'object' && input !== null && parsedBy.get(input) === schema;
}

/**
 * Parses `input` with `schema`. What a parse with the same schema produced is returned as it is,
 * unparsed: the HTTP adapter validates a body, then hands the service the parsed object (hand it
 * back unmodified).
 * @throws BackupError `validation_failed` with `details.issues` listing every problem.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (alreadyParsed(schema, input)) return input;
  if (nestingDepth(input, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH) {
    throw validationError([`Input nests deeper than ${MAX_INPUT_DEPTH} levels`]);
  }
  const result = schema.safeParse(input);
  if (result.success) return remember(schema, input, result.data);
  throw validationError(describeIssues(result.error.issues, input));
}

/**
 * `schema.safeParse(input)` for flat input such as query strings (it does not refuse deep
 * nesting; `parseInput` does). Like `parseInput`, it remembers what it produced, so handing
 * `data` to the service costs no second parse.
 */
export function safeParseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  if (alreadyParsed(schema, input)) return { success: true, data: input };
  const result = schema.safeParse(input);
  if (result.success) remember(schema, input, result.data);
  return result;
}

/** The 400 for well-formed but unusable configuration; the message names the problem. */
export function invalidConfig(field: string, issue: string): BackupError {
  return invalidConfigError(field, issue);
}
