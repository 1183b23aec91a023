import { BackupError, type VerificationResult, verifyBackupData } from '@backupkit/core';
import type { Command } from 'commander';
import { formatBytes } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import { measuredUpdate } from '../progress/measured-update.js';
import { resolveBackup } from '../snapshots-in-storage.js';
import { type ReadDataFlags, verificationRequest } from '../verification-request.js';
import type { ContextOf } from './context-of.js';

export function addVerify(program: Command, contextOf: ContextOf): void {
  program
    .command('verify')
    .description('Verify one backup: checksums of every object, and the data itself by default')
    .argument('<backup>', 'backup id, or "latest"')
    .option('--quick', 'checksums only: every chunk object exists with its recorded size and SHA-256')
    .option(
      '--read-data-subset <percent>',
      'read and authenticate this share of the chunks (rotating), e.g. 10%',
    )
    .option('--read-data', 'read and authenticate every chunk and entry (the default)')
    .addHelpText(
      'after',
      `
Examples:
  backupkit verify latest --repo file:///var/backups/db
  backupkit verify backup_0123... --read-data-subset 10% --json

Exits 5 when damage is found; the report names every damaged object.`,
    )
    .action(async (reference: string, flags: ReadDataFlags, command: Command) => {
      const context = contextOf(command);
      const request = verificationRequest(flags, 'full');
      const result = await context.withStorage(context.destination(), async (driver) => {
        const repository = await openExistingRepository(context, driver);
        const manifest = await resolveBackup(repository, reference, context.signal);
        const progress = context.progress('verify', 'bytes');
        const started = Date.now();
        try {
          const outcome = await verifyBackupData({
            repository,
            backupId: manifest.backup_id,
            manifest,
            options: request,
            signal: context.signal,
            onProgress: (p) =>
              progress.update(measuredUpdate(started, p.progress, p.units_done, p.units_total)),
          });
          progress.stop(true);
          return outcome;
        } catch (error) {
          progress.stop(false);
          throw error;
        }
      });
      context.result(result, () => verificationText(result));
      throwUnlessPassed(result);
    });
}

/** One backup's verification, as the operator reads it. */
export function verificationText(result: VerificationResult): string {
  const lines = [
    `${result.backup_id}: ${result.status} (${result.verification_type}): ${result.chunks_checked}/${result.chunks_total} chunk objects checked, ${result.chunks_read} read (${formatBytes(result.bytes_read)}), ${result.entries_verified} entries verified`,
  ];
  for (const damaged of result.damaged)
    lines.push(`  damaged: ${damaged.object} (${damaged.problem}): ${damaged.detail}`);
  return lines.join('\n');
}

/** A failed verification exits 5 (damage); one that could not run exits with its cause's code. */
export function throwUnlessPassed(result: VerificationResult): void {
  if (result.status === 'passed') return;
  const error = result.error;
  if (result.status === 'failed' || !error) {
    throw new BackupError(
      'integrity_error',
      `Verification of ${result.backup_id} failed: ${error?.message ?? 'damage found'}`,
    );
  }
  throw new BackupError(error.code as BackupError['code'], error.message, { details: error.details ?? {} });
}
