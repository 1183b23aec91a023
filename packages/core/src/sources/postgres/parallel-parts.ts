import type pg from 'pg';
import type { Semaphore } from '../../util/semaphore.js';

export interface ParallelPartsOptions {
  /** How many parts there are; each is loaded once, lowest index first. */
  count: number;
  /** The connection the caller holds (with its slot): it loads parts too. */
  lead: pg.ClientBase;
  pool: pg.Pool;
  /** The restore's connection budget (`max_parallel_jobs`): one slot per connection in use. */
  slots: Semaphore;
  signal: AbortSignal;
  /** Loads part `index` on `client`; rejects on failure (the other parts then stop). */
  loadPart: (client: pg.ClientBase, index: number, signal: AbortSignal) => Promise<void>;
  /** Fails with the reason a connection could not be opened. */
  connectFailed: (error: unknown) => Error;
}

/**
 * Loads the parts of one table at once: on the caller's connection, and on as many more as
 * the budget has free slots whenever a part is taken — so a table loaded while other tables
 * hold connections still gets the ones they give back. Extra connections only ever take a
 * slot that is free at that moment, never wait for one: the lanes holding the others may be
 * waiting for this table's parts to finish.
 * @throws the first part's failure, once every part in flight has stopped.
 */
export async function loadPartsInParallel(options: ParallelPartsOptions): Promise<void> {
  const { count, slots, pool } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure = null as { error: unknown } | null;
  const extras: Promise<void>[] = [];

  const work = async (client: pg.ClientBase): Promise<void> => {
    while (!failure && next < count) {
      const index = next++;
      grow();
      try {
        await options.loadPart(client, index, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
        throw error;
      }
    }
  };

  const extra = async (): Promise<void> => {
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await pool.connect();
    } catch (error) {
      slots.release();
      const reason = options.connectFailed(error);
      failure ??= { error: reason };
      controller.abort(reason);
      return;
    }
    try {
      await work(client);
    } catch (error) {
      broken = error as Error;
    } finally {
      client.release(broken);
      slots.release();
    }
  };

  // One more connection per part not yet taken, while slots are free.
  function grow(): void {
    while (!failure && next + extras.length < count && slots.free) {
      void slots.acquire();
      extras.push(extra());
    }
  }

  try {
    await work(options.lead).catch(() => {});
    // Extras may still be mid-part; the lead waits for them (they push no new ones once done).
    for (let i = 0; i < extras.length; i++) await extras[i];
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
}
