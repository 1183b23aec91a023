import path from 'node:path';
import type { AccessPolicy } from '../security/access-policy.js';
import { checkDatabaseAccess } from '../security/database-target.js';
import { checkDestinationAccess } from '../security/destination-access.js';
import { ALWAYS_DENIED_PATHS, confinePath, realDeniedPaths } from '../security/path-confinement.js';
import type { SourceEnvironment, SourceKind } from '../sources/backup-source.js';
import { Semaphore } from '../util/semaphore.js';

const DEFAULT_MIN_SCHEDULE_INTERVAL_SECONDS = 60;
const DEFAULT_CONCURRENT_RESTORES = 2;
const DEFAULT_CONCURRENT_VERIFICATIONS = 2;

type Config = Record<string, unknown>;

/**
 * The host's `AccessPolicy` applied to what jobs and restores ask for: directories resolved
 * and confined to the roots, storage endpoints and database servers passed through the
 * host's hooks. Checked when a job or restore is accepted and again before each run, so a
 * symlink swapped in later or a policy tightened since cannot be used.
 */
export class AccessGuard {
  readonly #policy: AccessPolicy;
  readonly #ownPaths: string[];
  #denied: Promise<string[]> | null = null;
  /** Restores this instance runs at once. */
  readonly restoreSlots: Semaphore;
  /** Verifications this instance runs at once. */
  readonly verificationSlots: Semaphore;

  /** `ownPaths`: the service's data directory and local storage roots, never read or written. */
  constructor(policy: AccessPolicy = {}, ownPaths: readonly string[] = []) {
    this.#policy = policy;
    this.#ownPaths = ownPaths.map((own) => path.resolve(own));
    this.restoreSlots = new Semaphore(policy.maxConcurrentRestores ?? DEFAULT_CONCURRENT_RESTORES);
    this.verificationSlots = new Semaphore(
      policy.maxConcurrentVerifications ?? DEFAULT_CONCURRENT_VERIFICATIONS,
    );
  }

  get minScheduleIntervalSeconds(): number {
    return this.#policy.minScheduleIntervalSeconds ?? DEFAULT_MIN_SCHEDULE_INTERVAL_SECONDS;
  }

  /** Real paths never read or written: own data, storage roots, /proc, /sys, /dev, the host's list. */
  deniedPaths(): Promise<string[]> {
    this.#denied ??= realDeniedPaths([
      ...ALWAYS_DENIED_PATHS,
      ...this.#ownPaths,
      ...(this.#policy.deniedPaths ?? []),
    ]).catch((error: unknown) => {
      this.#denied = null;
      throw error;
    });
    return this.#denied;
  }

  /** What a source or restore target is told about the host's limits for one run. */
  async environment(): Promise<SourceEnvironment> {
    return {
      deniedPaths: await this.deniedPaths(),
      allowExternalSymlinks: this.#policy.allowExternalSymlinks === true,
    };
  }

  /**
   * Checks what `config` makes `kind` touch and returns the config a run may use: each
   * directory replaced by its real path inside a root. `section` names the config in errors
   * (`source`, `destination`); `only: 'database'` checks database servers alone (a test
   * restore reads no directory of the source).
   * @throws BackupError `forbidden` naming the field when the policy refuses something.
   */
  async checkConfig(
    kind: SourceKind,
    config: Config,
    use: 'backup' | 'restore',
    section: string,
    options: { only?: 'database' } = {},
  ): Promise<Config> {
    const requests = kind.accessRequests?.(config, use) ?? [];
    const out: Config = { ...config };
    for (const request of requests) {
      const field = `${section}.${request.field}`;
      if (request.type === 'database') {
        await checkDatabaseAccess(request.connectionString, this.#policy, field);
      } else if (options.only !== 'database') {
        const roots = request.access === 'read' ? this.#policy.sourceRoots : this.#policy.restoreRoots;
        out[request.field] = await confinePath(request.path, roots ?? [], await this.deniedPaths(), {
          access: request.access,
          field,
        });
      }
    }
    return out;
  }

  /**
   * A job's destination: endpoints it names itself need the host's `allowEndpoint`, and
   * fields only the host may set are refused.
   * @throws BackupError `forbidden` naming the field.
   */
  checkDestination(destination: Config): Promise<void> {
    return checkDestinationAccess(destination, this.#policy);
  }
}
