import {
  BackupError,
  findSourceKind,
  isBackupError,
  kindFamily,
  type Manifest,
  postgresSourceKind,
  type Repository,
  runRestore,
  type SourceKind,
  selectRestoreEntries,
  summarizeRestore,
} from '@backupkit/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { formatBytes } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import { transferUpdate } from '../progress/start-progress.js';
import { resolveBackup } from '../snapshots-in-storage.js';
import { parseSourceSpec, SOURCE_KINDS } from '../source-spec.js';
import { usageError } from '../usage-error.js';
import type { ContextOf } from './context-of.js';

interface RestoreOptions {
  to: string;
  table?: string[];
  path?: string[];
  overwrite?: boolean;
  createMissingTables: boolean;
  skipConstraints?: boolean;
  skipIndexes?: boolean;
  verifyBefore?: boolean;
  verifyAfter: boolean;
  parallel?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addRestore(program: Command, contextOf: ContextOf): void {
  program
    .command('restore')
    .description('Restore a backup into a PostgreSQL database or a directory')
    .argument('<backup>', 'backup id, or "latest"')
    .requiredOption('--to <target>', 'postgresql://user@host:5432/db, or a directory')
    .option(
      '--table <name>',
      'database backups: restore only this table (repeatable, globs allowed)',
      collect,
    )
    .option(
      '--path <path>',
      'directory backups: restore only this path and what is under it (repeatable)',
      collect,
    )
    .option('--overwrite', 'replace existing tables or files (default: refuse to)')
    .option('--no-create-missing-tables', 'database: fail instead of creating tables the target lacks')
    .option('--skip-constraints', 'database: do not restore constraints')
    .option('--skip-indexes', 'database: do not restore indexes')
    .option('--verify-before', 'read and authenticate every chunk before writing anything')
    .option('--no-verify-after', "skip the target's own checks after restoring (row counts, constraints)")
    .option('--parallel <n>', 'database: tables restored at once (default 4)')
    .addHelpText(
      'after',
      `
Examples:
  backupkit restore latest --to postgresql://postgres@localhost/app_restored --repo s3://bk/app
  backupkit restore backup_0123... --to /srv/restore --path photos --repo file:///var/backups/uploads`,
    )
    .action(async (reference: string, options: RestoreOptions, command: Command) => {
      await restore(contextOf(command), reference, options);
    });
}

async function restore(context: CommandContext, reference: string, options: RestoreOptions): Promise<void> {
  const target = parseSourceSpec(options.to, context.io.cwd, {});
  const restoreOptions = restoreOptionsOf(options);
  const destinationUrl = context.destination();
  const outcome = await context.withStorage(destinationUrl, async (driver) => {
    const repository = await openExistingRepository(context, driver);
    const manifest = await resolveBackup(repository, reference, context.signal);
    const kind = kindOfBackup(manifest);
    if (kindFamily(kind) !== kindFamily(target.kind)) {
      throw usageError(
        `Backup ${manifest.backup_id} is of a ${kindFamily(kind)} source and cannot be restored into ${target.display}`,
        'to',
      );
    }
    const destination = {
      ...target.config,
      ...(options.table?.length ? { tables: options.table } : {}),
      ...(options.path?.length ? { paths: options.path } : {}),
      ...(options.overwrite ? { overwrite_existing: true } : {}),
      ...(target.kind === postgresSourceKind ? { create_missing_tables: options.createMissingTables } : {}),
    };
    return runSelected(context, repository, manifest, kind, destination, restoreOptions);
  });
  context.result({ ...outcome, target: target.display }, () => {
    const files = (outcome as Record<string, unknown>).files_restored ?? 0;
    const counted = outcome.tables_restored > 0 ? `${outcome.tables_restored} tables` : `${files} files`;
    const warnings = outcome.warnings.map((w) => `\nwarning: ${w}`).join('');
    return `Restored ${outcome.backup_id} into ${target.display}: ${counted}, ${outcome.records_restored} records, ${formatBytes(outcome.bytes)}; checks ${outcome.verification.status}${warnings}`;
  });
}

async function runSelected(
  context: CommandContext,
  repository: Repository,
  manifest: Manifest,
  kind: SourceKind,
  destination: Record<string, unknown>,
  options: Record<string, unknown>,
) {
  const selection = selectionOf(kind, manifest, destination);
  const target = kind.createRestoreTarget(selection.config, options);
  const progress = context.progress('restore', 'bytes');
  let result: Awaited<ReturnType<typeof runRestore>>;
  try {
    result = await runRestore({
      repository,
      manifest,
      target,
      entries: selection.entries,
      options: { ...options, ...selection.config },
      verifyFirst: options.verify_before_restore === true,
      signal: context.signal,
      onProgress: (p) => progress.update(transferUpdate(p)),
    });
    progress.stop(true);
  } catch (error) {
    progress.stop(false);
    throw error;
  }
  const summary = summarizeRestore(kind, {
    entries: selection.entries,
    details: result.details,
    verifyRequested: options.verify_after_restore === true,
    restoredAt: new Date().toISOString(),
  });
  const targetWarnings = Array.isArray(result.details.warnings) ? result.details.warnings.map(String) : [];
  return {
    backup_id: manifest.backup_id,
    ...summary.counts,
    entries_restored: result.entries.length,
    records_restored: result.records,
    bytes: result.bytes,
    verification: summary.verification,
    warnings: [...selection.warnings, ...targetWarnings],
  };
}

/** What the restore takes; a selection that matches nothing is "not found" (exit 3). */
function selectionOf(kind: SourceKind, manifest: Manifest, destination: Record<string, unknown>) {
  try {
    return selectRestoreEntries(kind, manifest, destination);
  } catch (error) {
    if (!isBackupError(error, 'invalid_backup_config')) throw error;
    throw new BackupError('not_found', `${error.message} (backup ${manifest.backup_id})`, {
      details: error.details,
    });
  }
}

/** The kind that made the backup, from the source type its manifest records. */
function kindOfBackup(manifest: Manifest): SourceKind {
  const type = String(manifest.source.type ?? '');
  const kind = findSourceKind(SOURCE_KINDS, type);
  if (!kind) throw usageError(`Backup ${manifest.backup_id} has a source of unknown type "${type}"`);
  return kind;
}

function restoreOptionsOf(options: RestoreOptions): Record<string, unknown> {
  let parallel: number | undefined;
  if (options.parallel !== undefined) {
    parallel = Number(options.parallel);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32) {
      throw usageError('--parallel must be an integer from 1 to 32', 'parallel');
    }
  }
  return {
    verify_after_restore: options.verifyAfter,
    verify_before_restore: options.verifyBefore === true,
    skip_constraints: options.skipConstraints === true,
    skip_indexes: options.skipIndexes === true,
    ...(parallel === undefined ? {} : { max_parallel_jobs: parallel }),
  };
}
