import {
  BackupError,
  type DataKeyRecord,
  isBackupError,
  type LocalKeyProvider,
  type WrapUnderResult,
} from '@backupkit/core';
import type { Command } from 'commander';
import { formatTable } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import type { ContextOf } from './context-of.js';

export function addKey(program: Command, contextOf: ContextOf): void {
  const key = program
    .command('key')
    .description("The repository's data keys and the master keys that open them");
  key
    .command('list')
    .description(
      'List every wrapping of the data keys: the master key id it is under, and whether your keys open it',
    )
    .addHelpText('after', '\nExample:\n  backupkit key list --repo file:///var/backups/db')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command);
      const keys = await context.keys();
      const rows = await context.withStorage(context.destination(), async (driver) => {
        const repository = await openExistingRepository(context, driver);
        const records = await repository.dataKeyRecords();
        return Promise.all(records.map(async (r) => ({ ...summary(r), opens: await opens(keys, r) })));
      });
      context.result({ keys: rows }, () =>
        rows.length === 0
          ? 'The repository has no data keys (nothing was backed up encrypted)'
          : formatTable(
              ['Data key', 'Master key id', 'Created', 'Your keys'],
              rows.map((r) => [r.id, r.key_id, r.created_at, r.opens]),
            ),
      );
    });
  key
    .command('add')
    .description(
      'Wrap the data keys under another master key too (rotation without re-encryption); ' +
        'your keys must hold the new key and one that opens the repository',
    )
    .argument('<new_key_id>', 'the master key id to add (its key in BACKUPKIT_KEYS or --key-file)')
    .addHelpText(
      'after',
      `
Once added, the new master key alone opens the repository, and backups with
--encryption-key <new_key_id> keep deduplicating against the old ones. To retire the old
master key, remove it from the hosts' keys: its wrapping stays, useless without it.

Example:
  BACKUPKIT_KEYS="old:…,new:…" backupkit key add new --repo s3://backups/db`,
    )
    .action(async (newKeyId: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const result = await context.withStorage(context.destination(), async (driver) => {
        const repository = await openExistingRepository(context, driver);
        return repository.addMasterKey(newKeyId);
      });
      if (result.added.length === 0 && result.already.length === 0 && result.unopened.length > 0) {
        throw new BackupError(
          'key_mismatch',
          `None of your master keys opens the repository's data keys, so none was wrapped under "${newKeyId}"`,
          { details: { key_id: newKeyId } },
        );
      }
      context.result({ key_id: newKeyId, ...result }, () => describeAdded(newKeyId, result));
    });
}

function describeAdded(keyId: string, result: WrapUnderResult): string {
  const lines = [
    `Wrapped ${result.added.length} data key(s) under "${keyId}"` +
      (result.already.length > 0 ? ` (${result.already.length} already were)` : ''),
  ];
  if (result.unopened.length > 0) {
    lines.push(`Not wrapped (none of your keys opens them): ${result.unopened.join(', ')}`);
  }
  return lines.join('\n');
}

function summary(record: DataKeyRecord) {
  return { id: record.id, key_id: record.key_id, created_at: record.created_at };
}

/** Whether the configured master keys unwrap the record: `yes`, `no key`, or `wrong key`. */
async function opens(keys: LocalKeyProvider, record: DataKeyRecord): Promise<string> {
  if (!(await keys.hasKey(record.key_id))) return 'no key';
  try {
    (await keys.unwrapKey(record.key_id, record.wrapped)).fill(0);
    return 'yes';
  } catch (error) {
    if (isBackupError(error, 'key_mismatch')) return 'wrong key';
    throw error;
  }
}
