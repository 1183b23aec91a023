import { repairIndex } from '@backupkit/core';
import type { Command } from 'commander';
import { openExistingRepository } from '../open-repository.js';
import type { ContextOf } from './context-of.js';

export function addRepair(program: Command, contextOf: ContextOf): void {
  const repair = program.command('repair').description('Repair repository metadata from the data itself');
  repair
    .command('index')
    .description('Rebuild the index from pack headers: packs no index covers, and damaged index objects')
    .addHelpText(
      'after',
      `
Example:
  backupkit repair index --repo s3://bk/app

Readers already fall back to pack headers when an index object is lost or damaged; this writes
the index anew so they need not. Takes the repository's shared lock (never beside prune).`,
    )
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command);
      const result = await context.withStorage(context.destination(), async (driver) =>
        repairIndex(await openExistingRepository(context, driver), { signal: context.signal }),
      );
      context.result(result, () =>
        [
          `Indexed ${result.packs_indexed} pack(s) (${result.chunks_indexed} chunks) from their headers; removed ${result.damaged_indexes_removed} damaged index object(s); wrote ${result.indexes_written}`,
          ...(result.unreadable_packs.length > 0
            ? [
                `${result.unreadable_packs.length} pack(s) unreadable, left in place: ${result.unreadable_packs.join(', ')}`,
              ]
            : []),
        ].join('\n'),
      );
    });
}
