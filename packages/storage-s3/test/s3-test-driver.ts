import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Driver, type S3DriverOptions, type S3StorageDriver } from '@backupkit/storage-s3';
import { type S3TestServer, startFauxqs, startS3rver } from '../../../test-support/servers/index.js';

/**
 * An S3 server process with a fresh bucket, started by `start()` (call it in `beforeAll`)
 * and removed by `close()`. Drivers write under the `backups/ci/` prefix.
 */
export class S3Fixture {
  readonly #kind: 'fauxqs' | 's3rver';
  #server: S3TestServer | undefined;
  readonly bucket = `bk-${Date.now().toString(36)}`;

  constructor(kind: 'fauxqs' | 's3rver' = 'fauxqs') {
    this.#kind = kind;
  }

  get server(): S3TestServer {
    if (!this.#server) throw new Error('S3Fixture.start() was not called');
    return this.#server;
  }

  /** Starts the server, creates the bucket and returns a driver. */
  start = async (): Promise<S3StorageDriver> => {
    this.#server = this.#kind === 'fauxqs' ? await startFauxqs() : await startS3rver();
    const admin = new S3Client({ ...this.#server.clientConfig, ...this.options() });
    await admin.send(new CreateBucketCommand({ Bucket: this.bucket }));
    admin.destroy();
    return this.driver();
  };

  /** Driver options for this server and bucket. */
  options(): S3DriverOptions {
    const server = this.server;
    return {
      bucket: this.bucket,
      path: 'backups/ci/',
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
      clientConfig: server.clientConfig,
    };
  }

  driver(options: Partial<S3DriverOptions> = {}): S3StorageDriver {
    return createS3Driver({ ...this.options(), ...options });
  }

  close = async (): Promise<void> => {
    await this.#server?.close();
  };
}
