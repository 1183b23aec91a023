import { isBackupError, redactText, secretValuesOf } from '@backupkit/core';
import { EXIT, type ExitCode, exitCodeOf } from './exit-codes.js';

/** Environment variables whose values are secrets, wherever they might be quoted. */
const SECRET_VARIABLES = [
  'BACKUPKIT_KEYS',
  'PGPASSWORD',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AZURE_STORAGE_KEY',
  'AZURE_STORAGE_CONNECTION_STRING',
];

/** Strings never to print: secrets in the arguments (URL passwords) and the secret variables. */
export function secretsOf(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const fromEnv = SECRET_VARIABLES.flatMap((name) => {
    const value = env[name];
    if (!value) return [];
    // Each key of BACKUPKIT_KEYS separately, so a message quoting one is caught too.
    return [value, ...value.split(/[,:\s]+/).filter((part) => part.length >= 16)];
  });
  return [...argv.flatMap((arg) => secretValuesOf(arg)), ...fromEnv];
}

/**
 * The one line a failure prints on stderr (no stack trace: an operator needs what went wrong,
 * not where), with its exit code. Secrets are masked whatever the message quotes.
 */
export function errorLine(
  error: unknown,
  secrets: readonly string[],
  cancelled: boolean,
): { line: string; code: ExitCode } {
  if (cancelled || isBackupError(error, 'aborted')) {
    return {
      line: 'cancelled: nothing was committed and the repository locks were released',
      code: EXIT.cancelled,
    };
  }
  let code = exitCodeOf(error);
  let raw = error instanceof Error ? error.message : String(error);
  if (/CredentialsProviderError/.test(raw)) {
    // The AWS SDK found no credentials anywhere in its chain: say where they are looked for.
    raw += ' (no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)';
    code = EXIT.unreachable;
  }
  const prefix = isBackupError(error) ? '' : 'internal error: ';
  const message = redactText(raw, secrets)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return { line: `${prefix}${message || 'failed'}`, code };
}
