import type { z } from 'zod';
import { BackupError } from '../errors.js';

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

/** Every problem zod found, as the spec's `details.issues` strings. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    for (const line of describeIssue(issue, input)) if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** The spec's 422: `validation_failed` listing every issue. */
export function validationError(issues: string[]): BackupError {
  return new BackupError('validation_failed', 'Backup validation failed', { details: { issues } });
}

/**
 * Parses `input` with `schema`.
 * @throws BackupError `validation_failed` with `details.issues` listing every problem.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(describeIssues(result.error.issues, input));
}

/** The spec's 400 for well-formed but unusable configuration. */
export function invalidConfig(field: string, issue: string): BackupError {
  return new BackupError('invalid_backup_config', 'Invalid backup configuration', {
    details: { field, issue },
  });
}
