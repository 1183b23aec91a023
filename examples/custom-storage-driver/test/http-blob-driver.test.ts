import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isBackupError, withRetries } from '@backupkit/core';
import { storageDriverConformance } from '@backupkit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobServer, HttpBlobStorageDriver, prepareBlobRoot } from '../src/index.js';

async function startStore(): Promise<{ server: Server; url: string; root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'bk-blob-'));
  await prepareBlobRoot(root);
  const server = createBlobServer(root).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, root };
}

async function stopStore(store: { server: Server; root: string }): Promise<void> {
  store.server.closeAllConnections();
  await new Promise((resolve) => store.server.close(resolve));
  await rm(store.root, { recursive: true, force: true });
}

// The whole conformance suite, against a real server listening on a port.
let store: Awaited<ReturnType<typeof startStore>>;
storageDriverConformance({
  name: 'HttpBlobStorageDriver (example)',
  createDriver: async () => {
    store = await startStore();
    return new HttpBlobStorageDriver({ url: store.url, path: 'backups/' });
  },
  cleanup: () => stopStore(store),
});

describe('HttpBlobStorageDriver behind withRetries', () => {
  let own: Awaited<ReturnType<typeof startStore>>;
  beforeAll(async () => {
    own = await startStore();
  });
  afterAll(() => stopStore(own));

  it('reports a stopped store as retryable, and withRetries rides out a short outage', async () => {
    const driver = new HttpBlobStorageDriver({ url: own.url });
    await driver.put('before', Buffer.from('x'));
    const port = (own.server.address() as AddressInfo).port;
    own.server.closeAllConnections();
    await new Promise((resolve) => own.server.close(resolve));

    const error = await driver.head('before').catch((e: unknown) => e);
    expect(isBackupError(error, 'unavailable') && error.retryable).toBe(true);

    const retries: number[] = [];
    const retrying = withRetries(driver, {
      attempts: 8,
      baseDelayMs: 50,
      onRetry: (e) => retries.push(e.attempt),
    });
    setTimeout(() => own.server.listen(port, '127.0.0.1'), 150);
    expect((await retrying.head('before'))?.size).toBe(1);
    expect(retries.length).toBeGreaterThan(0);
  });

  it('does not retry what is not retryable', async () => {
    const retrying = withRetries(new HttpBlobStorageDriver({ url: own.url }), {
      attempts: 5,
      baseDelayMs: 1,
    });
    await expect(retrying.get('missing')).rejects.toSatisfy((e) => isBackupError(e, 'not_found'));
    await expect(retrying.put('../escape', Buffer.from('x'))).rejects.toSatisfy((e) =>
      isBackupError(e, 'invalid_request'),
    );
  });
});
