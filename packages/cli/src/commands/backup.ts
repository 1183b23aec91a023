import {
  BackupError,
  type CompressionSetting,
  type Manifest,
  newId,
  normalizeCompression,
  Repository,
  runBackup,
  withRepositoryLock,
} from '@backupkit/core';
import { type Command, Option } from 'commander';
import type { CommandContext } from '../command-context.js';
import { formatBytes } from '../format.js';
import { transferUpdate } from '../progress/start-progress.js';
import { readSnapshots } from '../snapshots-in-storage.js';
import { assertDirectoryExists, defaultJobId, parseSourceSpec } from '../source-spec.js';
import { usageError } from '../usage-error.js';
import type { ContextOf } from './context-of.js';

interface BackupOptions {
  to?: string;
  job?: string;
  table?: string[];
  exclude?: string[];
  compression: string;
  compressionLevel?: string;
  encryptionKey?: string;
  full?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addBackup(program: Command, contextOf: ContextOf): void {
  program
    .command('backup')
    .description('Back up a PostgreSQL database or a directory into a repository')
    .argument('<source>', 'postgresql://user@host:5432/db, or a directory')
    .option('--to <repository>', 'destination URL (default: --repo or BACKUPKIT_REPOSITORY)')
    .option('--job <job_id>', 'the job the backup belongs to (default: derived from the source)')
    .option(
      '--table <glob>',
      'database: a table to back up (repeatable); directory: a path glob to include',
      collect,
    )
    .option('--exclude <glob>', 'a table or path glob to leave out (repeatable)', collect)
    .addOption(
      new Option('--compression <algorithm>', 'chunk compression')
        .choices(['zstd', 'gzip', 'brotli', 'none'])
        .default('zstd'),
    )
    .option('--compression-level <level>', "compression level (default: the algorithm's)")
    .option('--encryption-key <key_id>', 'encrypt under this master key (from BACKUPKIT_KEYS or --key-file)')
    .option('--full', 'read everything again instead of reusing unchanged files of the previous backup')
    .addHelpText(
      'after',
      `
Examples:
  BACKUPKIT_KEYS=prod:... backupkit backup postgresql://backup@db/app --to s3://bk/app --encryption-key prod
  backupkit backup /srv/uploads --to file:///var/backups/uploads --exclude '*.tmp' --compression gzip

Nothing is visible in the repository until the backup is complete; Ctrl-C cancels cleanly.`,
    )
    .action(async (source: string, options: BackupOptions, command: Command) => {
      await backup(contextOf(command), source, options);
    });
}

async function backup(context: CommandContext, sourceArg: string, options: BackupOptions): Promise<void> {
  // Every check that needs no I/O on the repository first: bad input changes nothing.
  const spec = parseSourceSpec(sourceArg, context.io.cwd, {
    tables: options.table,
    excludes: options.exclude,
  });
  const issues = spec.kind.validateSource(spec.config);
  if (issues.length > 0) throw usageError(issues.join('; '), 'source');
  const compression = compressionOf(options);
  const destination = context.destination(options.to);
  const keys = await context.keys();
  if (options.encryptionKey !== undefined && !(await keys.hasKey(options.encryptionKey))) {
    throw new BackupError(
      'key_not_found',
      `No master key "${options.encryptionKey}" in ${context.options.keyFile ? 'the key file' : 'BACKUPKIT_KEYS'}`,
      { details: { key_id: options.encryptionKey } },
    );
  }
  await assertDirectoryExists(spec);
  const jobId = options.job ?? defaultJobId(spec);
  const manifest = await context.withStorage(destination, async (driver) => {
    const repository = await Repository.open(driver, {
      keyProvider: keys,
      encryption: options.encryptionKey
        ? { enabled: true, keyId: options.encryptionKey }
        : { enabled: false },
      create: true,
      signal: context.signal,
    });
    const parent = options.full ? null : await newestOfJob(repository, jobId, context.signal);
    const progress = context.progress('backup', 'bytes');
    try {
      // The shared lock keeps garbage collection from deleting chunks this run reuses, as in the service.
      const done = await withRepositoryLock(
        driver,
        'shared',
        () =>
          runBackup({
            repository,
            source: spec.kind.createSource(spec.config),
            context: { signal: context.signal, parent, previous: parent, full: parent === null },
            jobId,
            backupId: newId('backup'),
            backupType: parent ? 'incremental' : 'full',
            compression,
            onProgress: (p) => progress.update(transferUpdate(p)),
            signal: context.signal,
          }),
        { owner: 'backupkit-cli', signal: context.signal },
      );
      progress.stop(true);
      return done;
    } catch (error) {
      progress.stop(false);
      throw error;
    }
  });
  const seconds = (Date.parse(manifest.completed_at) - Date.parse(manifest.started_at)) / 1000;
  context.result(
    {
      backup_id: manifest.backup_id,
      job_id: manifest.job_id,
      type: manifest.backup_type,
      parent_backup_id: manifest.parent_backup_id,
      source: spec.display,
      repository: destination.display,
      entries: manifest.totals.entries,
      logical_bytes: manifest.totals.logical_bytes,
      new_bytes: manifest.totals.new_bytes,
      stored_bytes: manifest.totals.stored_bytes,
      duration_seconds: seconds,
      encrypted: manifest.encryption.enabled,
    },
    () =>
      `Backup ${manifest.backup_id} (${manifest.backup_type}) of ${spec.display}: ${manifest.totals.entries} entries, ${formatBytes(manifest.totals.logical_bytes)}, ${formatBytes(manifest.totals.stored_bytes)} newly stored, in ${seconds.toFixed(1)} s`,
  );
}

function compressionOf(options: BackupOptions): CompressionSetting {
  const algorithm = options.compression as CompressionSetting['algorithm'];
  if (algorithm === 'none') return { algorithm };
  let level: number | undefined;
  if (options.compressionLevel !== undefined) {
    level = Number(options.compressionLevel);
    if (!Number.isInteger(level))
      throw usageError('--compression-level must be an integer', 'compression-level');
  }
  try {
    return normalizeCompression(level === undefined ? { algorithm } : { algorithm, level });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error), 'compression-level');
  }
}

/** The job's newest backup in the repository: unchanged files reuse its chunk lists. */
async function newestOfJob(
  repository: Repository,
  jobId: string,
  signal: AbortSignal,
): Promise<Manifest | null> {
  const all = await readSnapshots(repository, signal);
  return all.filter((m) => m.job_id === jobId).at(-1) ?? null;
}
