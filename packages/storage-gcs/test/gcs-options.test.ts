import { isBackupError } from '@backupkit/core';
import { createGcsDriver, gcsDriverFactory } from '@backupkit/storage-gcs';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsFixture } from './gcs-test-driver.js';

describe('GCS driver options and destination factory', () => {
  const gcs = new GcsFixture();
  beforeAll(gcs.start);
  afterAll(gcs.close);

  it('builds a working driver from a destination, writing the storage class', async () => {
    const driver = await gcsDriverFactory({
      type: 'gcs',
      bucket: gcs.bucket,
      path: 'db/daily/',
      storage_class: 'nearline',
      endpoint: gcs.emulator.apiEndpoint,
      project_id: gcs.emulator.projectId,
    });
    await driver.put('repo.json', Buffer.from('{}'));
    expect(driver.describe('repo.json')).toBe(`gs://${gcs.bucket}/db/daily/repo.json`);
    const info = await driver.head('repo.json');
    expect(info?.checksum?.algorithm).toBe('md5');
  });

  it('accepts a ready Storage client', async () => {
    const client = new Storage({ apiEndpoint: gcs.emulator.apiEndpoint, projectId: gcs.emulator.projectId });
    const driver = createGcsDriver({ bucket: gcs.bucket, client });
    await driver.put('ready', Buffer.from('abc'));
    expect((await driver.head('ready'))?.size).toBe(3);
    const [files] = await client.bucket(gcs.bucket).getFiles({ prefix: 'ready' });
    expect(files.map((f) => f.name)).toEqual(['ready']);
  });

  it('refuses unusable destinations', () => {
    for (const bad of [
      { type: 'gcs', path: 'x/' },
      { type: 'gcs', bucket: 'b', storage_class: 'GLACIER' },
      { type: 'gcs', bucket: 'b', project_id: 7 },
    ]) {
      let error: unknown;
      try {
        gcsDriverFactory(bad);
      } catch (caught) {
        error = caught;
      }
      expect(isBackupError(error, 'invalid_backup_config'), JSON.stringify(bad)).toBe(true);
    }
  });

  it('gives unavailable (retryable) when nothing listens at the endpoint', async () => {
    const driver = createGcsDriver({
      bucket: gcs.bucket,
      apiEndpoint: 'http://127.0.0.1:9',
      projectId: 'p',
      retryOptions: { autoRetry: false, maxRetries: 0 },
    });
    const error = await driver.head('k').catch((e: unknown) => e);
    expect(isBackupError(error, 'unavailable') && error.retryable, String(error)).toBe(true);
  });
});
