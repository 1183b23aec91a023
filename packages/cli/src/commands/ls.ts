import type { ManifestEntry } from '@backupkit/core';
import type { Command } from 'commander';
import { formatBytes, formatTable } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import { resolveBackup } from '../snapshots-in-storage.js';
import type { ContextOf } from './context-of.js';

function entryRow(entry: ManifestEntry) {
  const rows = entry.metadata.row_count;
  return {
    name: entry.name,
    kind: entry.kind,
    size: entry.size,
    ...(typeof rows === 'number' ? { rows } : {}),
  };
}

export function addLs(program: Command, contextOf: ContextOf): void {
  program
    .command('ls')
    .description('List what a backup holds: tables with row counts, or files with sizes')
    .argument('<backup>', 'backup id, or "latest"')
    .addHelpText(
      'after',
      `
Examples:
  backupkit ls latest --repo file:///var/backups/db
  backupkit ls backup_0123abcd... --json`,
    )
    .action(async (reference: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const manifest = await context.withStorage(context.destination(), async (driver) =>
        resolveBackup(await openExistingRepository(context, driver), reference, context.signal),
      );
      const entries = manifest.entries.map(entryRow);
      const tables = entries.some((e) => e.kind === 'table');
      context.result(
        { backup_id: manifest.backup_id, source_type: manifest.source.type ?? null, entries },
        () =>
          `${formatTable(
            tables ? ['Table', 'Rows', 'Size'] : ['Kind', 'Size', 'Path'],
            entries.map((e) =>
              tables
                ? [e.name, String(e.rows ?? '-'), formatBytes(e.size)]
                : [e.kind, e.kind === 'file' ? formatBytes(e.size) : '-', e.name],
            ),
          )}\n${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} in ${manifest.backup_id}`,
      );
    });
}
