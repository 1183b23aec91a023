import { createGcsDriver, type GcsDriverOptions, type GcsStorageDriver } from '@backupkit/storage-gcs';
import { type GcsEmulator, startGcsEmulator } from '../../../test-support/servers/index.js';

/**
 * The Firebase Storage emulator (GCS JSON API) as a child process, started by `start()` (in
 * `beforeAll`) and stopped by `close()`. Its buckets appear on first upload.
 */
export class GcsFixture {
  #emulator: GcsEmulator | undefined;
  readonly bucket = `bk-${Date.now().toString(36)}`;

  get emulator(): GcsEmulator {
    if (!this.#emulator) throw new Error('GcsFixture.start() was not called');
    return this.#emulator;
  }

  start = async (): Promise<GcsStorageDriver> => {
    this.#emulator = await startGcsEmulator();
    return this.driver();
  };

  options(): GcsDriverOptions {
    return {
      bucket: this.bucket,
      path: 'backups/ci/',
      apiEndpoint: this.emulator.apiEndpoint,
      projectId: this.emulator.projectId,
    };
  }

  driver(options: Partial<GcsDriverOptions> = {}): GcsStorageDriver {
    return createGcsDriver({ ...this.options(), ...options });
  }

  close = async (): Promise<void> => {
    await this.#emulator?.close();
  };
}
