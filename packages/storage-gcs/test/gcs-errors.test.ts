import { Readable } from 'node:stream';
import { createGcsDriver, type GcsStorageDriver } from '@backupkit/storage-gcs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  driverOperations,
  expectPageKeptOut,
  exposed,
  failure,
} from '../../../test-support/servers/upstream-error-checks.js';
import { UpstreamErrorServer } from '../../../test-support/servers/upstream-error-server.js';

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
    ...driverOperations<GcsStorageDriver>(),
    ['put (resumable, a stream of unknown size)', (d) => d.put('k', Readable.from([Buffer.from('data')]))],
  ];

  it.each(operations)('%s: a 3 KB HTML page at 500 and 403 never reaches the error', (_name, run) =>
    expectPageKeptOut(
      upstream,
      () => run(driver),
      (status) => new RegExp(`^GCS \\w+ of gs://bucket/p/\\S* failed: HTTP ${status}$`),
    ),
  );

  it('keeps the JSON API reason and drops its messages', async () => {
    upstream.answer(upstream.json(403, 'forbidden'));
    const denied = await failure(() => driver.head('k'));
    expect(denied.message).toBe('GCS head of gs://bucket/p/k failed: HTTP 403 forbidden');
    expect(denied.details).toMatchObject({ status: 403, gcsCode: 'forbidden' });
    expect(exposed(denied)).not.toContain(upstream.sentinel);
  });
});
