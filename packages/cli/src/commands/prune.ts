import { collectGarbage, type GarbageCollectionResult, Repository } from '@backupkit/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { DeleteCountingDriver } from '../counting-driver.js';
import { parseDuration } from '../duration.js';
import { formatBytes } from '../format.js';
import { measuredUpdate } from '../progress/measured-update.js';
import type { ContextOf } from './context-of.js';

interface PruneOptions {
  grace: string;
  wait?: string;
  dryRun?: boolean;
}

export function addPrune(program: Command, contextOf: ContextOf): void {
  program
    .command('prune')
    .description('Delete the chunks no backup references (garbage collection, by pack)')
    .option(
      '--grace <duration>',
      'spare unreferenced chunks younger than this (running backups may need them)',
      '1h',
    )
    .option('--wait <duration>', 'how long to wait for running backups to release the repository', '0')
    .option('--dry-run', 'only count what would be deleted (takes no lock)')
    .addHelpText(
      'after',
      `
Examples:
  backupkit prune --repo s3://bk/app
  backupkit prune --grace 0 --dry-run --json

Takes the repository's exclusive lock, as the service's garbage collection does: it refuses to
run beside a backup (exit 1, "Repository is locked") unless --wait lets it wait.`,
    )
    .action(async (options: PruneOptions, command: Command) => {
      const context = contextOf(command);
      const result = await prune(context, options);
      context.result(
        result,
        () =>
          `${result.dry_run ? 'Would delete' : 'Deleted'} ${result.deleted_chunks} of ${result.stored_chunks} chunks (${formatBytes(result.deleted_bytes)}): ${result.deleted_packs} pack(s) deleted, ${result.repacked_packs} repacked into ${result.written_packs}; ${result.spared_recent_chunks} recent unreferenced chunk(s) spared; ${result.snapshots} backups kept`,
      );
    });
}

/** Garbage collection of the repository, with progress over the chunks it deletes. */
export async function prune(
  context: CommandContext,
  options: PruneOptions,
): Promise<GarbageCollectionResult> {
  const graceMs = parseDuration(options.grace, '--grace');
  const waitMs = parseDuration(options.wait ?? '0', '--wait');
  return context.withStorage(context.destination(), async (driver) => {
    const keys = await context.keys();
    const signal = context.signal;
    const plain = await Repository.open(driver, { keyProvider: keys, create: false, signal });
    // A dry run first tells how much there is to delete: the total the progress runs to.
    const planned = await collectGarbage(plain, { dryRun: true, graceMs, signal });
    if (options.dryRun) return planned;
    const progress = context.progress('prune', 'bytes');
    const started = Date.now();
    let deleted = 0;
    const report = (percent: number) =>
      progress.update(measuredUpdate(started, percent, deleted, planned.deleted_bytes));
    const counting = new DeleteCountingDriver(driver, (bytes) => {
      deleted += bytes;
      const total = planned.deleted_bytes;
      report(total > 0 ? Math.min(99, Math.floor((deleted / total) * 100)) : 0);
    });
    try {
      const repository = await Repository.open(counting, { keyProvider: keys, create: false, signal });
      const result = await collectGarbage(repository, {
        graceMs,
        signal,
        lock: { owner: 'backupkit-cli', waitMs },
      });
      report(100);
      progress.stop(true);
      return result;
    } catch (error) {
      progress.stop(false);
      throw error;
    }
  });
}
