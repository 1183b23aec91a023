import type pg from 'pg';
import { BackupError } from '../../errors.js';
import { connect, destroyClient, mapPgError, quoteLiteral } from './connection.js';

/**
 * Connections that all see one exported snapshot. The coordinator opens a REPEATABLE READ,
 * READ ONLY transaction and exports its snapshot; each worker opens the same kind of
 * transaction and imports it, so every table is read as of one instant while writers carry
 * on (a read-only snapshot takes no locks that block them).
 */
export class SnapshotPool {
  readonly #connectionString: string;
  readonly #max: number;
  readonly #coordinator: pg.Client;
  readonly #snapshotId: string;
  readonly #idle: pg.Client[] = [];
  readonly #waiters: { resolve: (client: pg.Client) => void; reject: (error: unknown) => void }[] = [];
  readonly #all = new Set<pg.Client>();
  #opening = 0;
  #closed = false;

  private constructor(connectionString: string, max: number, coordinator: pg.Client, snapshotId: string) {
    this.#connectionString = connectionString;
    this.#max = max;
    this.#coordinator = coordinator;
    this.#snapshotId = snapshotId;
    // The coordinator reads tables too, so `max` is the whole connection budget.
    this.#all.add(coordinator);
    this.#idle.push(coordinator);
  }

  /**
   * Connects the coordinator and exports its snapshot.
   * @throws BackupError `source_unreachable` / `authentication_failed` / `permission_denied`.
   */
  static async open(connectionString: string, max: number): Promise<SnapshotPool> {
    const coordinator = await connect(connectionString, 'backupkit-backup');
    try {
      await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { rows } = await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      return new SnapshotPool(connectionString, Math.max(1, max), coordinator, rows[0]?.id ?? '');
    } catch (error) {
      destroyClient(coordinator);
      throw mapPgError(error, connectionString, 'source_unreachable', 'Cannot open a snapshot');
    }
  }

  /** The connection holding the exported snapshot (catalog queries; also reads tables). */
  get coordinator(): pg.Client {
    return this.#coordinator;
  }

  /** A worker in the snapshot; give it back with `release` or drop it with `discard`. */
  async acquire(): Promise<pg.Client> {
    if (this.#closed) throw new BackupError('aborted', 'The snapshot pool is closed');
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#all.size + this.#opening < this.#max) {
      this.#opening++;
      try {
        const client = await connect(this.#connectionString, 'backupkit-backup-worker');
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(this.#snapshotId)}`);
        } catch (error) {
          destroyClient(client);
          throw mapPgError(error, this.#connectionString, 'source_unreachable', 'Cannot import the snapshot');
        }
        this.#all.add(client);
        return client;
      } finally {
        this.#opening--;
      }
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  release(client: pg.Client): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(client);
    else this.#idle.push(client);
  }

  /** Drops a worker whose transaction is unusable (failed or interrupted COPY). */
  discard(client: pg.Client): void {
    this.#all.delete(client);
    destroyClient(client);
    // Someone waiting for a connection gets a fresh one (or the reason there is none).
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    if (this.#closed) waiter.reject(new BackupError('aborted', 'The snapshot pool is closed'));
    else this.acquire().then(waiter.resolve, waiter.reject);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new BackupError('aborted', 'The snapshot pool is closed'));
    }
    const clients = [...this.#all];
    await Promise.all(
      clients.map(async (client) => {
        try {
          await Promise.race([
            client.query('ROLLBACK').then(() => client.end()),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000).unref()),
          ]);
        } catch {
          destroyClient(client);
        }
      }),
    );
  }
}
