import { rm } from 'node:fs/promises';
import { filesystemSourceKind, type SourceKind } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir, treeDigest } from './helpers.js';

/** A source kind registered by the host app (here: directories under another type name). */
const dirsKind: SourceKind = {
  types: ['dirs'],
  validateSource: (config) =>
    typeof config.root === 'string' ? [] : ['Missing required field: source.root'],
  createSource: (config) => filesystemSourceKind.createSource({ type: 'filesystem', path: config.root }),
  createRestoreTarget: (destination, options) =>
    filesystemSourceKind.createRestoreTarget({ type: 'filesystem', path: destination.root }, options),
};

/**
 * `sources` in the options is how a host app adds source kinds: their `type` must get through
 * request validation to the registered kind (which validates its own fields).
 */
describe('contract: source kinds registered at runtime', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  let target: string;

  beforeAll(async () => {
    ctx = await makeService({ sources: [filesystemSourceKind, dirsKind] });
    source = await tempDir('custom-kind-src');
    target = await tempDir('custom-kind-dst');
    await makeTree(source, 6);
  });

  afterAll(async () => {
    await ctx.cleanup();
    await rm(source, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  });

  it('a job and a restore of a registered kind run; its own validation answers 422', async () => {
    const bad = await ctx.service.createJob(fsJob(source, { source: { type: 'dirs' } })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({
      code: 'validation_failed',
      details: { issues: ['Missing required field: source.root'] },
    });
    const job = await ctx.service.createJob(fsJob(source, { source: { type: 'dirs', root: source } }));
    expect(job.source).toEqual({ type: 'dirs', root: source });
    const run = await ctx.service.executeJob(job.job_id as string);
    const status = await ctx.service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    const restore = await ctx.service.createRestore({
      backup_id: status.result!.backup_id,
      destination: { type: 'dirs', root: target },
    });
    const done = await ctx.service.waitFor(restore.restore_id, { timeoutMs: 60_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(await treeDigest(target)).toEqual(await treeDigest(source));
  });

  it('an unregistered type is invalid_backup_config naming the field', async () => {
    const job = await ctx.service.createJob(fsJob(source, { source: { type: 'tape', drive: 0 } })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(job).toMatchObject({ code: 'invalid_backup_config', details: { field: 'source.type' } });
  });
});
