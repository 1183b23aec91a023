import type { Manifest } from '@backupkit/core';
import type { Command } from 'commander';
import { formatBytes, formatTable } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import { readSnapshots } from '../snapshots-in-storage.js';
import type { ContextOf } from './context-of.js';

/** A backup as `snapshots` shows it: what an operator picks a restore by. */
export function snapshotSummary(m: Manifest) {
  return {
    backup_id: m.backup_id,
    job_id: m.job_id,
    time: m.completed_at,
    type: m.backup_type,
    source_type: String(m.source.type ?? ''),
    logical_bytes: m.totals.logical_bytes,
    stored_bytes: m.totals.referenced_stored_bytes,
    entries: m.totals.entries,
    parent_backup_id: m.parent_backup_id,
    key_id: m.encryption.enabled ? (m.encryption.key_id ?? null) : null,
  };
}

export function addSnapshots(program: Command, contextOf: ContextOf): void {
  program
    .command('snapshots')
    .description('List the backups in a repository, from storage alone (no catalog needed)')
    .argument('[repository]', 'destination URL (default: --repo or BACKUPKIT_REPOSITORY)')
    .option('--job <job_id>', 'only the backups of this job')
    .addHelpText(
      'after',
      `
Examples:
  backupkit snapshots file:///var/backups/db
  BACKUPKIT_REPOSITORY=s3://bk/db?region=eu-west-1 backupkit snapshots --json`,
    )
    .action(async (repositoryUrl: string | undefined, options: { job?: string }, command: Command) => {
      const context = contextOf(command);
      const destination = context.destination(repositoryUrl);
      const manifests = await context.withStorage(destination, async (driver) =>
        readSnapshots(await openExistingRepository(context, driver), context.signal),
      );
      const rows = manifests.filter((m) => !options.job || m.job_id === options.job).map(snapshotSummary);
      context.result({ repository: destination.display, backups: rows }, () =>
        rows.length === 0
          ? `No backups in ${destination.display}`
          : `${formatTable(
              ['ID', 'Job', 'Time', 'Type', 'Source', 'Logical', 'Stored', 'Parent'],
              rows.map((r) => [
                r.backup_id,
                r.job_id,
                r.time,
                r.type,
                r.source_type,
                formatBytes(r.logical_bytes),
                formatBytes(r.stored_bytes),
                r.parent_backup_id ?? '-',
              ]),
            )}\n${rows.length} backup(s)`,
      );
    });
}
