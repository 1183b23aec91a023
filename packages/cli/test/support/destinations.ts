import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Fixture } from '../../../storage-s3/test/s3-test-driver.js';

/** A place for repositories the tests reach by URL: a temp directory, or a bucket on fauxqs. */
export interface DestinationFixture {
  name: string;
  start(): Promise<void>;
  /** The URL of a fresh repository location named `name`. */
  url(name: string): string;
  stop(): Promise<void>;
}

export function localDestination(): DestinationFixture {
  let root = '';
  return {
    name: 'file://',
    start: async () => {
      root = await mkdtemp(path.join(tmpdir(), 'bk-cli-repos-'));
    },
    url: (name) => pathToFileURL(path.join(root, name)).href,
    stop: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The S3 server the storage-s3 tests start (fauxqs), with a fresh bucket. Credentials reach the
 * CLI the way they reach any AWS SDK program: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export function s3Destination(): DestinationFixture {
  const fixture = new S3Fixture();
  return {
    name: 's3://',
    start: async () => {
      await fixture.start();
      process.env.AWS_ACCESS_KEY_ID = fixture.server.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = fixture.server.credentials.secretAccessKey;
    },
    url: (name) =>
      `s3://${fixture.bucket}/cli/${name}?endpoint=${encodeURIComponent(fixture.server.endpoint)}&path_style=true&region=${fixture.server.region}`,
    stop: () => fixture.close(),
  };
}
