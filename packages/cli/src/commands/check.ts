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
        const index = await repository.refreshIndex({ signal: context.signal });
        return {
          results,
          unreferenced_chunks: garbage.unreferenced_chunks,
          index: {
            index_objects: index.indexNames.length,
            packs: index.packs.size,
            chunks: index.chunks.size,
            unindexed_packs: index.unindexedPacks.map((p) => p.name),
            damaged_indexes: index.damagedIndexes.map((d) => d.name),
            damaged_packs: index.damagedPacks.map((d) => d.name),
          },
        };
      });
      const passed = report.results.filter((r) => r.status === 'passed').length;
      context.result(
        {
          status: passed === report.results.length ? 'passed' : 'failed',
          backups: report.results.length,
          passed,
          unreferenced_chunks: report.unreferenced_chunks,
          index: report.index,
          results: report.results,
        },
        () =>
          [
            ...report.results.map(verificationText),
            `${passed}/${report.results.length} backups passed; ${report.unreferenced_chunks} unreferenced chunk(s) (prune deletes those in packs it can free or repack)`,
            indexText(report.index),
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

/** The index's state in a line, and what to do about it. */
function indexText(index: {
  index_objects: number;
  packs: number;
  chunks: number;
  unindexed_packs: string[];
  damaged_indexes: string[];
  damaged_packs: string[];
}): string {
  const line = `Index: ${index.chunks} chunks in ${index.packs} pack(s), ${index.index_objects} index object(s)`;
  const problems = [
    ...(index.unindexed_packs.length > 0 ? [`${index.unindexed_packs.length} pack(s) in no index`] : []),
    ...(index.damaged_indexes.length > 0 ? [`${index.damaged_indexes.length} damaged index object(s)`] : []),
  ];
  const unreadable =
    index.damaged_packs.length > 0 ? `; unreadable pack(s): ${index.damaged_packs.join(', ')}` : '';
  return problems.length > 0
    ? `${line}; ${problems.join(', ')} (read from pack headers; \`backupkit repair index\` rewrites the index)${unreadable}`
    : `${line}${unreadable}`;
}
