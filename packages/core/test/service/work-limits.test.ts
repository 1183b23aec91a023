import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  type DestinationConfig,
  type GetOptions,
  LocalStorageDriver,
  type RestoreTarget,
  type SourceKind,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeService, tempDir } from './helpers.js';

/** Restores of this kind wait at a gate the test opens: they stay running as long as it likes. */
function gatedKind() {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let running = 0;
  let mostAtOnce = 0;
  const target = (): RestoreTarget => ({
    parallelism: 1,
    prepare: async () => {},
    restoreEntry: async (entry, content) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      if (content) for await (const _ of content);
      await gate;
      running--;
      return { name: entry.name, records: 1, bytes: entry.size };
    },
    finish: async () => ({}),
    close: async () => {},
  });
  const kind: SourceKind = {
    types: ['gated'],
    validateSource: () => [],
    createSource: () => ({
      type: 'gated',
      describe: () => ({ type: 'gated' }),
      open: async () => ({
        entries: (async function* () {
          yield {
            name: 'one',
            kind: 'blob',
            metadata: {},
            estimatedBytes: 5,
            open: async () => Readable.from([Buffer.from('hello')]),
          };
        })(),
        estimatedBytes: 5,
        metadata: {},
        parallelism: 1,
        close: async () => {},
      }),
    }),
    createRestoreTarget: target,
  };
  return {
    kind,
    mostAtOnce: () => mostAtOnce,
    release: () => {
      open();
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
  };
}

/** Local storage whose reads wait at a gate while it is closed (backups write freely). */
class GatedReads extends LocalStorageDriver {
  static closed = false;
  static waiting = 0;
  static #open: () => void = () => {};
  static #gate = Promise.resolve();

  static close(): void {
    GatedReads.closed = true;
    GatedReads.#gate = new Promise((resolve) => {
      GatedReads.#open = resolve;
    });
  }

  static open(): void {
    GatedReads.closed = false;
    GatedReads.#open();
  }

  override async get(key: string, options?: GetOptions): Promise<Readable> {
    if (GatedReads.closed) {
      GatedReads.waiting++;
      await GatedReads.#gate;
      GatedReads.waiting--;
    }
    return super.get(key, options);
  }
}

describe('work per instance is bounded', () => {
  const gated = gatedKind();
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let storageRoot: string;
  let backupId: string;

  beforeAll(async () => {
    storageRoot = await tempDir('gated-storage');
    ctx = await makeService({
      sources: [gated.kind],
      access: { maxConcurrentRestores: 1, maxConcurrentVerifications: 1 },
      storage: {
        drivers: {
          gated: (destination: DestinationConfig) =>
            new GatedReads({ root: path.join(storageRoot, String(destination.path)), fsync: false }),
        },
      },
    });
    const job = await ctx.service.createJob({
      job_name: 'gated',
      source: { type: 'gated' },
      destination: { type: 'gated', path: 'gated' },
    });
    const run = await ctx.service.executeJob(job.job_id);
    const status = await ctx.service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    backupId = status.result!.backup_id;
  });
  afterAll(async () => {
    gated.release();
    GatedReads.open();
    await ctx.cleanup();
    await rm(storageRoot, { recursive: true, force: true });
  });

  it('restores beyond maxConcurrentRestores wait queued, then run one at a time', async () => {
    const restores = [];
    for (let i = 0; i < 3; i++) {
      restores.push(
        await ctx.service.createRestore({
          backup_id: backupId,
          destination: { type: 'gated' },
          restore_options: { verify_before_restore: false, verify_after_restore: false },
        }),
      );
    }
    // Let the first one reach its gate; the others must not have started.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statuses = await Promise.all(restores.map((r) => ctx.service.getRestoreStatus(r.restore_id)));
    expect(statuses.map((s) => s.status).sort()).toEqual(['queued', 'queued', 'running']);
    for (let i = 0; i < 3; i++) {
      gated.release();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const restore of restores) {
      const done = await ctx.service.waitFor(restore.restore_id, { timeoutMs: 30_000 });
      expect(done.status, JSON.stringify(done.error)).toBe('completed');
    }
    expect(gated.mostAtOnce()).toBe(1);
  });

  it('verifications beyond maxConcurrentVerifications wait queued, then run', async () => {
    GatedReads.close();
    const first = await ctx.service.verifyBackup(backupId, { verification_type: 'full' });
    const second = await ctx.service.verifyBackup(backupId, { verification_type: 'full' });
    expect(first.status).toBe('running');
    expect(second.status).toBe('queued');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await ctx.service.getVerification(second.verification_id)).status).toBe('queued');
    expect(GatedReads.waiting).toBeGreaterThan(0);
    GatedReads.open();
    for (const verification of [first, second]) {
      const done = await ctx.service.waitFor(verification.verification_id, { timeoutMs: 30_000 });
      expect(done.status, String(done.error)).toBe('passed');
    }
  });
});
