import { type BackupError, isBackupError, type StorageDriver } from '@backupkit/core';
import { expect } from 'vitest';
import type { UpstreamErrorServer } from './upstream-error-server.js';

// What the three cloud drivers' error tests share: the operations they try against an endpoint
// that answers with a page of its own, and the check that nothing of that page leaks.

/** Everything of a BackupError that leaves the process: message, code, details (what toJSON holds). */
export function exposed(error: BackupError): string {
  return `${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(error.details)}`;
}

/** The BackupError `run` rejects with (anything else fails the test). */
export async function failure(run: () => Promise<unknown>): Promise<BackupError> {
  const error = await run().then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isBackupError(error)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return error;
}

/** One call of each kind a driver makes: put, get, head, a drained list, delete. */
export function driverOperations<D extends StorageDriver>(): Array<[string, (d: D) => Promise<unknown>]> {
  return [
    ['put', (d) => d.put('k', Buffer.from('data'))],
    ['get', (d) => d.get('k')],
    ['head', (d) => d.head('k')],
    [
      'list',
      async (d) => {
        for await (const _ of d.list('')) {
          // drain
        }
      },
    ],
    ['delete', (d) => d.delete('k')],
  ];
}

/**
 * `run` against a 3 KB HTML page at 500 and at 403: `unavailable` (retryable) and
 * `access_denied`, a message that `message(status)` matches, and nothing of the page (nor any
 * of `secrets`) in what the error exposes or in its cause.
 */
export async function expectPageKeptOut(
  upstream: UpstreamErrorServer,
  run: () => Promise<unknown>,
  message: (status: number) => RegExp,
  secrets: string[] = [],
): Promise<void> {
  for (const [status, code] of [
    [500, 'unavailable'],
    [403, 'access_denied'],
  ] as const) {
    upstream.answer(upstream.html(status));
    const error = await failure(run);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(code === 'unavailable');
    expect(error.message).toMatch(message(status));
    expect(exposed(error)).not.toContain(upstream.sentinel);
    expect(exposed(error)).not.toMatch(/<html|internal-admin|10\.0\.0\.12/i);
    for (const secret of secrets) expect(exposed(error)).not.toContain(secret);
    expect(String((error.cause as Error | undefined)?.message)).not.toContain(upstream.sentinel);
    expect(error.details).toMatchObject({ status });
  }
}
