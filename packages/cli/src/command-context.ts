import { type LocalKeyProvider, maskSecrets, redactValue, type StorageDriver } from '@backupkit/core';
import { type ParsedDestination, parseDestinationUrl } from './destination-url.js';
import type { CliIo } from './io.js';
import { loadMasterKeys } from './master-keys.js';
import { openStorage } from './open-storage.js';
import { type ProgressDisplay, startProgress } from './progress/start-progress.js';
import { usageError } from './usage-error.js';

/** The options every verb takes (see `run.ts`). */
export interface GlobalOptions {
  repo?: string;
  json?: boolean;
  keyFile?: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

/** What a verb works with: its streams, the global options, keys, storage and output. */
export class CommandContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  #keys: Promise<LocalKeyProvider> | undefined;

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  get signal(): AbortSignal {
    return this.io.signal;
  }

  /** The master keys, loaded once (`--key-file` or `BACKUPKIT_KEYS`). */
  keys(): Promise<LocalKeyProvider> {
    this.#keys ??= loadMasterKeys(this.options.keyFile, this.io.env);
    return this.#keys;
  }

  /**
   * The repository's destination: `url`, else `--repo`, else `BACKUPKIT_REPOSITORY`.
   * @throws BackupError `invalid_request` (exit 2) when none is given or it is malformed.
   */
  destination(url?: string): ParsedDestination {
    const raw = url ?? this.options.repo ?? this.io.env.BACKUPKIT_REPOSITORY;
    if (!raw) throw usageError('No repository: pass --repo URL or set BACKUPKIT_REPOSITORY', 'repo');
    return parseDestinationUrl(
      raw,
      {
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.region ? { region: this.options.region } : {}),
        ...(this.options.pathStyle ? { pathStyle: true } : {}),
      },
      this.io.env,
    );
  }

  /** Runs `fn` with the destination's driver, closing it however `fn` ends. */
  async withStorage<T>(
    destination: ParsedDestination,
    fn: (driver: StorageDriver) => Promise<T>,
  ): Promise<T> {
    const driver = await openStorage(destination);
    try {
      return await fn(driver);
    } finally {
      await driver.close?.().catch(() => {});
    }
  }

  /**
   * The verb's result: one JSON document with `--json`, else the human text. Secrets are
   * masked on the way out whatever produced them.
   */
  result(document: unknown, human: () => string): void {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(redactValue(document))}\n`);
      return;
    }
    const text = human();
    if (text) this.io.stdout.write(`${maskSecrets(text)}\n`);
  }

  /** A note for the operator (stderr, so stdout stays the result). */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${maskSecrets(text)}\n`);
  }

  progress(label: string, unit: 'bytes' | 'items'): ProgressDisplay {
    return startProgress(this.io, { label, unit, json: this.json });
  }
}
