import { isBackupError } from '@backupkit/core';
import { createS3Driver, s3DriverFactory } from '@backupkit/storage-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Fixture } from './s3-test-driver.js';

const invalidConfig = (e: unknown) => isBackupError(e, 'invalid_backup_config');

describe('S3 driver options and destination factory', () => {
  const s3 = new S3Fixture();
  beforeAll(s3.start);
  afterAll(s3.close);

  it('builds a working driver from a job destination object', async () => {
    const { endpoint, credentials } = s3.server;
    const driver = await s3DriverFactory({
      type: 's3',
      bucket: s3.bucket,
      path: '/database/daily/',
      region: 'us-east-1',
      encryption: 'AES256',
      storage_class: 'STANDARD_IA',
      endpoint,
      force_path_style: true,
      access_key_id: credentials.accessKeyId,
      secret_access_key: credentials.secretAccessKey,
    });
    await driver.put('repo.json', Buffer.from('{}'));
    expect(driver.describe('repo.json')).toBe(`s3://${s3.bucket}/database/daily/repo.json`);
    const listed: string[] = [];
    for await (const info of s3.driver({ path: '' }).list('database/')) listed.push(info.key);
    expect(listed).toEqual(['database/daily/repo.json']);
    await driver.close?.();
  });

  it('refuses unusable destinations before any request', () => {
    expect(() => s3DriverFactory({ type: 's3', path: 'x/' })).toThrow(
      expect.objectContaining({ code: 'invalid_backup_config' }),
    );
    for (const bad of [
      { type: 's3', bucket: 'b', storage_class: 'GLACIER' },
      { type: 's3', bucket: 'b', storage_class: 'DEEP_ARCHIVE' },
      { type: 's3', bucket: 'b', encryption: 'rot13' },
      { type: 's3', bucket: 'b', encryption: 'AES256', kms_key_id: 'k' },
      { type: 's3', bucket: 'b', access_key_id: 'only-half' },
      { type: 's3', bucket: 'b', path: 'a/../b' },
      { type: 'azure', bucket: 'b' },
    ]) {
      let error: unknown;
      try {
        s3DriverFactory(bad);
      } catch (caught) {
        error = caught;
      }
      expect(invalidConfig(error), JSON.stringify(bad)).toBe(true);
    }
  });

  it('rejects malformed keys in every operation', async () => {
    const driver = s3.driver();
    for (const key of ['', '/abs', 'a//b', '../up', 'a/./b', 'a\\b']) {
      const invalid = (e: unknown) => isBackupError(e, 'invalid_request');
      await expect(driver.put(key, Buffer.from('x'))).rejects.toSatisfy(invalid);
      await expect(driver.get(key)).rejects.toSatisfy(invalid);
      await expect(driver.head(key)).rejects.toSatisfy(invalid);
      await expect(driver.delete(key)).rejects.toSatisfy(invalid);
    }
  });

  it('batch-deletes with DeleteObjects, missing keys included', async () => {
    const driver = s3.driver({ path: 'batch/' });
    const keys = Array.from({ length: 1_203 }, (_, i) => `k/${i}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((key) => driver.put(key, Buffer.from(key))));
    }
    await driver.deleteMany([...keys, 'k/never-there']);
    const left: string[] = [];
    for await (const info of driver.list('')) left.push(info.key);
    expect(left).toEqual([]);
  });

  it('maps a missing bucket to storage_error, with a cause free of the signed request', async () => {
    const missing = createS3Driver({ ...s3.options(), bucket: 'no-such-bucket-here' });
    const error = await missing.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(isBackupError(error, 'storage_error'), String(error)).toBe(true);
    expect((error as Error).message).toContain('the bucket does not exist');
    // The SDK error kept as cause carries the signed request; the driver keeps only its facts.
    const cause = (error as Error).cause as Record<string, unknown>;
    expect(cause.$response).toBeUndefined();
    expect(JSON.stringify(cause)).not.toMatch(/Signature=|Credential=|authorization/i);
  });
});
