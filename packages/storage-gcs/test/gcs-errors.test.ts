import { Readable } from 'node:stream';
import { type BackupError, isBackupError } from '@backupkit/core';
import { createGcsDriver, type GcsStorageDriver } from '@backupkit/storage-gcs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamErrorServer } from '../../../test-support/servers/upstream-error-server.js';

function exposed(error: BackupError): string {
  return `${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(error.details)}`;
}

async function failure(run: () => Promise<unknown>): Promise<BackupError> {
  const error = await run().then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isBackupError(error)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return error;
}

describe('GCS errors from an endpoint that answers with a page of its own', () => {
  const upstream = new UpstreamErrorServer();
  let driver: GcsStorageDriver;
  beforeAll(async () => {
    await upstream.start();
    driver = createGcsDriver({
      bucket: 'bucket',
      path: 'p/',
      projectId: 'project',
      apiEndpoint: upstream.url,
      retryOptions: { autoRetry: false, maxRetries: 0 },
    });
  });
  afterAll(async () => {
    await upstream.close();
  });

  const operations: Array<[string, (d: GcsStorageDriver) => Promise<unknown>]> = [
    ['put', (d) => d.put('k', Buffer.from('data'))],
    ['put (resumable, a stream of unknown size)', (d) => d.put('k', Readable.from([Buffer.from('data')]))],
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

  it.each(operations)('%s: a 3 KB HTML page at 500 and 403 never reaches the error', async (_name, run) => {
    for (const [status, code] of [
      [500, 'unavailable'],
      [403, 'access_denied'],
    ] as const) {
      upstream.answer(upstream.html(status));
      const error = await failure(() => run(driver));
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(code === 'unavailable');
      expect(error.message).toMatch(new RegExp(`^GCS \\w+ of gs://bucket/p/\\S* failed: HTTP ${status}$`));
      expect(exposed(error)).not.toContain(upstream.sentinel);
      expect(exposed(error)).not.toMatch(/<html|internal-admin|10\.0\.0\.12/i);
      expect(String((error.cause as Error | undefined)?.message)).not.toContain(upstream.sentinel);
    }
  });

  it('keeps the JSON API reason and drops its messages', async () => {
    upstream.answer(upstream.json(403, 'forbidden'));
    const denied = await failure(() => driver.head('k'));
    expect(denied.message).toBe('GCS head of gs://bucket/p/k failed: HTTP 403 forbidden');
    expect(denied.details).toMatchObject({ status: 403, gcsCode: 'forbidden' });
    expect(exposed(denied)).not.toContain(upstream.sentinel);
  });
});
