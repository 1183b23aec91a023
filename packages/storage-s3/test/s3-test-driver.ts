import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Driver, type S3DriverOptions, type S3StorageDriver } from '@backupkit/storage-s3';
import {
  type CloudFixture,
  type S3TestServer,
  startFauxqs,
  TcpRelay,
} from '../../../test-support/servers/index.js';

/**
 * A fauxqs process with a fresh bucket, started by `start()` (call it in `beforeAll`) and
 * removed by `close()`. Drivers write under the `backups/ci/` prefix.
 */
export class S3Fixture {
  #server: S3TestServer | undefined;
  readonly bucket = `bk-${Date.now().toString(36)}`;

  get server(): S3TestServer {
    if (!this.#server) throw new Error('S3Fixture.start() was not called');
    return this.#server;
  }

  /** Starts the server, creates the bucket and returns a driver. */
  start = async (): Promise<S3StorageDriver> => {
    this.#server = await startFauxqs();
    const admin = new S3Client({ ...this.server.clientConfig, ...this.options() });
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
    };
  }

  driver(options: Partial<S3DriverOptions> = {}): S3StorageDriver {
    return createS3Driver({ ...this.options(), ...options });
  }

  close = async (): Promise<void> => {
    await this.#server?.close();
  };

  /**
   * For the engine tests: drivers under `prefix`, quick to give up when the server is gone.
   * With `relay`, drivers connect through a TcpRelay that the test can kill, since killing
   * fauxqs itself would forget every object.
   */
  static async cloudFixture(options: { relay?: boolean } = {}): Promise<CloudFixture> {
    const fixture = new S3Fixture();
    await fixture.start();
    const relay = options.relay
      ? await TcpRelay.start(Number(new URL(fixture.server.endpoint).port))
      : undefined;
    const endpoint = relay ? `http://127.0.0.1:${relay.port}` : fixture.server.endpoint;
    return {
      server: relay ?? fixture.server.server,
      driver: (prefix) => fixture.driver({ path: `engine/${prefix}`, endpoint, maxAttempts: 2 }),
      close: async () => {
        await relay?.kill();
        await fixture.close();
      },
    };
  }
}
