import path from 'node:path';
import { LocalStorageDriver } from '../storage/local-driver.js';
import { ObjectKeyPrefix } from '../storage/object-key-prefix.js';
import type { DestinationConfig, StorageDriver, StorageDriverFactory } from '../storage/storage-driver.js';
import { invalidConfig } from './validate.js';

/**
 * Storage driver factories by destination `type`. `local` is built in and confined to one
 * root directory: a destination path is resolved under it and can never leave it.
 */
export class StorageRegistry {
  readonly #factories = new Map<string, StorageDriverFactory>();
  readonly #localRoot: string;

  readonly #wrap: (driver: StorageDriver) => StorageDriver;

  /** `wrap` sees every driver opened (the service's metrics time their calls). */
  constructor(
    localRoot: string,
    drivers: Record<string, StorageDriverFactory> = {},
    wrap: (driver: StorageDriver) => StorageDriver = (driver) => driver,
  ) {
    this.#localRoot = path.resolve(localRoot);
    this.#wrap = wrap;
    this.#factories.set(
      'local',
      (destination) => new LocalStorageDriver({ root: this.localPath(destination) }),
    );
    for (const [type, factory] of Object.entries(drivers)) this.#factories.set(type, factory);
  }

  get localRoot(): string {
    return this.#localRoot;
  }

  types(): string[] {
    return [...this.#factories.keys()];
  }

  /**
   * The directory of a `local` destination.
   * @throws BackupError `invalid_backup_config` when the path would leave the local root.
   */
  localPath(destination: DestinationConfig): string {
    const raw = typeof destination.path === 'string' ? destination.path : '';
    if (raw.includes('\0')) throw invalidConfig('destination.path', 'The path contains a NUL character');
    // Paths are relative to the root even when written absolute ("/daily" means <root>/daily).
    const relative = raw.replace(/\\/g, '/').replace(/^\/+/, '');
    const resolved = path.resolve(this.#localRoot, relative);
    if (resolved !== this.#localRoot && !resolved.startsWith(this.#localRoot + path.sep)) {
      throw invalidConfig('destination.path', 'The path leaves the local storage root');
    }
    return resolved;
  }

  /**
   * Checks that a driver exists for the destination (and, for `local`, that its path is contained).
   * @throws BackupError `invalid_backup_config`.
   */
  check(destination: DestinationConfig): void {
    if (!this.#factories.has(destination.type)) {
      throw invalidConfig(
        'destination.type',
        `No storage driver is registered for "${destination.type}" (registered: ${this.types().join(', ')})`,
      );
    }
    if (destination.type === 'local') this.localPath(destination);
    else if (typeof destination.path === 'string') {
      // Object stores take `path` as a key prefix: `..`, `.` segments, backslashes and NUL are
      // refused by the drivers at run time; say so when the job is created instead.
      try {
        new ObjectKeyPrefix(destination.path);
      } catch (error) {
        throw invalidConfig('destination.path', error instanceof Error ? error.message : 'Invalid path');
      }
    }
  }

  /** @throws BackupError `invalid_backup_config` for an unknown type; whatever the factory throws. */
  async open(destination: DestinationConfig): Promise<StorageDriver> {
    this.check(destination);
    const factory = this.#factories.get(destination.type)!;
    return this.#wrap(await factory(destination));
  }
}
