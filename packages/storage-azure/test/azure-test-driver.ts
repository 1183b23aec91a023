import { BlobServiceClient } from '@azure/storage-blob';
import {
  type AzureBlobDriverOptions,
  type AzureBlobStorageDriver,
  createAzureBlobDriver,
} from '@backupkit/storage-azure';
import { type AzuriteServer, startAzurite } from '../../../test-support/servers/index.js';

/**
 * An Azurite process with a fresh container, started by `start()` (in `beforeAll`) and
 * removed by `close()`. Drivers write under the `backups/ci/` prefix.
 */
export class AzuriteFixture {
  #server: AzuriteServer | undefined;
  readonly #persistent: boolean;
  readonly container = `bk-${Date.now().toString(36)}`;

  /** `persistent`: blobs on disk, surviving a kill and restart of the server. */
  constructor(options: { persistent?: boolean } = {}) {
    this.#persistent = options.persistent ?? false;
  }

  get server(): AzuriteServer {
    if (!this.#server) throw new Error('AzuriteFixture.start() was not called');
    return this.#server;
  }

  start = async (): Promise<AzureBlobStorageDriver> => {
    this.#server = await startAzurite({ persistent: this.#persistent });
    await BlobServiceClient.fromConnectionString(this.#server.connectionString)
      .getContainerClient(this.container)
      .create();
    return this.driver();
  };

  options(): AzureBlobDriverOptions {
    return { container: this.container, path: 'backups/ci/', connectionString: this.server.connectionString };
  }

  driver(options: Partial<AzureBlobDriverOptions> = {}): AzureBlobStorageDriver {
    return createAzureBlobDriver({ ...this.options(), ...options });
  }

  close = async (): Promise<void> => {
    await this.#server?.close();
  };
}
