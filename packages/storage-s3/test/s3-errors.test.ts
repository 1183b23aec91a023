import { createS3Driver, type S3StorageDriver } from '@backupkit/storage-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  driverOperations,
  expectPageKeptOut,
  exposed,
  failure,
} from '../../../test-support/servers/upstream-error-checks.js';
import { UpstreamErrorServer } from '../../../test-support/servers/upstream-error-server.js';

describe('S3 errors from an endpoint that answers with a page of its own', () => {
  const upstream = new UpstreamErrorServer();
  let driver: S3StorageDriver;
  beforeAll(async () => {
    await upstream.start();
    driver = createS3Driver({
      bucket: 'bucket',
      path: 'p/',
      region: 'us-east-1',
      endpoint: upstream.url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    await driver?.close();
    await upstream.close();
  });

  const operations = driverOperations<S3StorageDriver>();

  it.each(operations)('%s: a 3 KB HTML page at 500 and 403 never reaches the error', (_name, run) =>
    expectPageKeptOut(
      upstream,
      () => run(driver),
      (status) => new RegExp(`^S3 \\w+ of s3://bucket/p/\\S* failed: HTTP ${status}$`),
    ),
  );

  it('keeps a short S3 code from an error document and drops its message', async () => {
    upstream.answer(upstream.xml(403, 'AccessDenied'));
    const denied = await failure(() => driver.put('k', Buffer.from('data')));
    expect(denied.message).toBe('S3 put of s3://bucket/p/k failed: HTTP 403 AccessDenied');
    expect(denied.details).toMatchObject({ status: 403, s3Code: 'AccessDenied' });
    expect(exposed(denied)).not.toContain(upstream.sentinel);
    // The cause is not serialised, and holds no body either.
    expect(String((denied.cause as Error).message)).not.toContain(upstream.sentinel);

    upstream.answer(upstream.xml(503, 'SlowDown'));
    const slow = await failure(() => driver.put('k', Buffer.from('data')));
    expect(slow).toMatchObject({ code: 'throttled', retryable: true });

    // A "code" that is really a payload is not shown.
    upstream.answer(upstream.xml(500, `${upstream.sentinel}<script>${'z'.repeat(100)}`));
    const odd = await failure(() => driver.put('k', Buffer.from('data')));
    expect(odd.message).toBe('S3 put of s3://bucket/p/k failed: HTTP 500');
    expect(exposed(odd)).not.toContain(upstream.sentinel);
  });

  it('summarises a refused connection by its code', async () => {
    const closed = new UpstreamErrorServer();
    await closed.start();
    const url = closed.url;
    await closed.close();
    const gone = createS3Driver({
      bucket: 'bucket',
      region: 'us-east-1',
      endpoint: url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' },
      maxAttempts: 1,
    });
    const error = await failure(() => gone.put('k', Buffer.from('data')));
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.message).toBe('S3 put of s3://bucket/k failed: ECONNREFUSED');
    await gone.close();
  });
});
