import { type AzureBlobStorageDriver, azureDriverFactoryWith } from '@backupkit/storage-azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  driverOperations,
  expectPageKeptOut,
  exposed,
  failure,
} from '../../../test-support/servers/upstream-error-checks.js';
import { UpstreamErrorServer } from '../../../test-support/servers/upstream-error-server.js';

const ACCOUNT_KEY = Buffer.from('account-key-sentinel-2c9d').toString('base64');

describe('Azure errors from an endpoint that answers with a page of its own', () => {
  const upstream = new UpstreamErrorServer();
  let driver: AzureBlobStorageDriver;
  beforeAll(async () => {
    await upstream.start();
    // A destination as a job writes it: the connection string's BlobEndpoint names the server.
    driver = (await azureDriverFactoryWith({ retry: { maxTries: 1 } })({
      type: 'azure',
      container: 'c',
      path: 'p',
      connection_string: `DefaultEndpointsProtocol=http;AccountName=acct1;AccountKey=${ACCOUNT_KEY};BlobEndpoint=${upstream.url}/acct1;`,
    })) as AzureBlobStorageDriver;
  });
  afterAll(async () => {
    await upstream.close();
  });

  const operations = driverOperations<AzureBlobStorageDriver>();

  it.each(operations)('%s: a 3 KB HTML page at 500 and 403 never reaches the error', (_name, run) =>
    expectPageKeptOut(
      upstream,
      () => run(driver),
      (status) => new RegExp(`^Azure \\w+ of azure://acct1/c/p/?\\S* failed: HTTP ${status}$`),
      [ACCOUNT_KEY],
    ),
  );

  it('keeps the service error code from its header, drops one that is a payload', async () => {
    upstream.answer({
      ...upstream.xml(403, 'AuthorizationFailure'),
      headers: { 'x-ms-error-code': 'AuthorizationFailure' },
    });
    const denied = await failure(() => driver.put('k', Buffer.from('data')));
    expect(denied.message).toBe('Azure put of azure://acct1/c/p/k failed: HTTP 403 AuthorizationFailure');
    expect(denied.details).toMatchObject({ status: 403, azureCode: 'AuthorizationFailure' });
    expect(exposed(denied)).not.toContain(upstream.sentinel);

    upstream.answer({
      ...upstream.html(500),
      headers: { 'x-ms-error-code': `${upstream.sentinel}-${'q'.repeat(100)}` },
    });
    const odd = await failure(() => driver.put('k', Buffer.from('data')));
    expect(odd.message).toBe('Azure put of azure://acct1/c/p/k failed: HTTP 500');
    expect(exposed(odd)).not.toContain(upstream.sentinel);
  });
});
