import { BackupError, collectGarbage, type VerificationResult, verifyBackupData } from '@backupkit/core';
import type { Command } from 'commander';
import { openExistingRepository } from '../open-repository.js';
import { measuredUpdate } from '../progress/measured-update.js';
import { readSnapshots } from '../snapshots-in-storage.js';
import { type ReadDataFlags, verificationRequest } from '../verification-request.js';
import type { ContextOf } from './context-of.js';
import { throwUnlessPassed, verificationText } from './verify.js';

export function addCheck(program: Command, contextOf: ContextOf): void {
  program
    .command('check')
    .description("Check the whole repository: every backup's manifest and chunk objects")
    .option('--read-data-subset <percent>', "also read and authenticate this share of each backup's chunks")
    .option('--read-data', 'also read and authenticate every chunk')
    .addHelpText(
      'after',
      `
Examples:
  backupkit check --repo s3://bk/app
  backupkit check --read-data-subset 5% --json

Without --read-data*, checks that every object each backup needs exists with its recorded size
and checksum (no decryption). Exits 5 when damage is found.`,
    )
    .action(async (flags: ReadDataFlags, command: Command) => {
      const context = contextOf(command);
      const request = verificationRequest(flags, 'quick');
      const report = await context.withStorage(context.destination(), async (driver) => {
        const repository = await openExistingRepository(context, driver);
        const manifests = await readSnapshots(repository, context.signal);
        const total = manifests.reduce((sum, m) => sum + m.totals.logical_bytes, 0);
        const progress = context.progress('check', 'bytes');
        const started = Date.now();
        const results: VerificationResult[] = [];
        let before = 0;
        try {
          for (const manifest of manifests) {
            const size = manifest.totals.logical_bytes;
            results.push(
              await verifyBackupData({
                repository,
                backupId: manifest.backup_id,
                manifest,
                options: request,
                signal: context.signal,
                onProgress: (p) => {
                  const done = before + (size * p.progress) / 100;
                  const percent = total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
                  progress.update(measuredUpdate(started, percent, done, total));
                },
              }),
            );
            before += size;
          }
          progress.update(measuredUpdate(started, 100, total, total));
          progress.stop(true);
        } catch (error) {
          progress.stop(false);
          throw error;
        }
        // What prune would delete: chunks no backup references (a dry run takes no lock).
        const garbage = await collectGarbage(repository, {
          dryRun: true,
          graceMs: 0,
          signal: context.signal,
        });
        return { results, unreferenced_chunks: garbage.unreferenced_chunks };
      });
      const passed = report.results.filter((r) => r.status === 'passed').length;
      context.result(
        {
          status: passed === report.results.length ? 'passed' : 'failed',
          backups: report.results.length,
          passed,
          unreferenced_chunks: report.unreferenced_chunks,
          results: report.results,
        },
        () =>
          [
            ...report.results.map(verificationText),
            `${passed}/${report.results.length} backups passed; ${report.unreferenced_chunks} unreferenced chunk(s) (prune deletes those in packs it can free or repack)`,
          ].join('\n'),
      );
      const bad = report.results.filter((r) => r.status !== 'passed');
      if (bad.length > 1) {
        throw new BackupError(
          'integrity_error',
          `${bad.length} of ${report.results.length} backups failed the check`,
        );
      }
      if (bad[0]) throwUnlessPassed(bad[0]);
    });
}
