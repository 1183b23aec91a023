/**
 * backupkit quick start: back up a directory to local disk (zstd + AES-256-GCM), list the
 * backup, restore it elsewhere and check every file's SHA-256.
 *
 *   pnpm quickstart            (from the repository root)
 *   BACKUPKIT_KEYS=my_key:<base64 of 32 bytes> pnpm quickstart   (use your own master key)
 *   pnpm quickstart -- --keep  (keep the temp directory to look around)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type BackupService,
  createBackupService,
  type ExecutionId,
  type JobStatusView,
  LocalKeyProvider,
  type ProgressEvent,
} from '@backupkit/core';
import { createSampleTree } from './sample-tree.js';
import { compareTrees, digestTree } from './verify-tree.js';

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;

function keyProvider(): { keys: LocalKeyProvider; keyId: string } {
  const configured = process.env.BACKUPKIT_KEYS?.trim();
  if (configured) {
    const keys = LocalKeyProvider.fromEnv(configured);
    const keyId = keys.keyIds()[0]!;
    console.log(`• Encryption key: "${keyId}" from BACKUPKIT_KEYS`);
    return { keys, keyId };
  }
  // A throwaway key, held in memory only: the backup is unreadable once this process ends.
  console.log(
    '• Encryption key: a generated demo key "demo_key" (in memory only; set BACKUPKIT_KEYS for a real one)',
  );
  return { keys: new LocalKeyProvider({ demo_key: randomBytes(32) }), keyId: 'demo_key' };
}

async function waitWithProgress(service: BackupService, executionId: ExecutionId): Promise<JobStatusView> {
  let last = -1;
  const onProgress = (event: ProgressEvent) => {
    if (event.id !== executionId || event.progress < last + 10) return;
    last = event.progress;
    console.log(`  … ${String(event.progress).padStart(3)}%  ${mib(event.bytes_done)}`);
  };
  service.on('execution.progress', onProgress);
  try {
    return await service.waitFor(executionId);
  } finally {
    service.off('execution.progress', onProgress);
  }
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const work = await mkdtemp(path.join(os.tmpdir(), 'backupkit-quickstart-'));
  const sourceDir = path.join(work, 'sample');
  const restoreDir = path.join(work, 'restored');
  const { keys, keyId } = keyProvider();
  const service = createBackupService({
    dataDir: path.join(work, '.backupkit'),
    keys,
    // Directory backups and restores touch only the directories the host names.
    access: { sourceRoots: [sourceDir], restoreRoots: [work] },
  });
  try {
    const fileCount = await createSampleTree(sourceDir);
    const original = await digestTree(sourceDir);
    const logical = [...original.values()].reduce((sum, f) => sum + f.size, 0);
    console.log(`• Sample tree: ${fileCount} files, ${mib(logical)} in ${sourceDir}`);

    const job = await service.createJob(
      {
        job_name: 'Quick start',
        description: 'A sample directory, compressed and encrypted',
        backup_type: 'incremental',
        source: { type: 'filesystem', path: sourceDir },
        destination: { type: 'local', path: 'quickstart' },
        compression: { enabled: true, algorithm: 'zstd', level: 3 },
        encryption: { enabled: true, algorithm: 'AES-256', key_id: keyId },
        verification: {
          enabled: true,
          checksum_verification: true,
          integrity_check: true,
          test_restore: false,
        },
      },
      { principal: 'quickstart' },
    );
    console.log(`• Job ${job.job_id} created (zstd level 3, AES-256-GCM, local storage)`);

    const started = Date.now();
    const execution = await service.executeJob(job.job_id, {}, { principal: 'quickstart' });
    console.log(`• Backup ${execution.execution_id} ${execution.status}`);
    const status = await waitWithProgress(service, execution.execution_id);
    const seconds = (Date.now() - started) / 1000;
    if (status.status !== 'completed') {
      console.error(`✗ Backup ${status.status}: ${JSON.stringify(status.error)}`);
      return 1;
    }
    console.log(
      `• Backup completed in ${seconds.toFixed(2)} s; verification: ${status.verification?.status ?? 'skipped'}`,
    );

    const listing = await service.listBackups({ job_id: job.job_id });
    const backup = listing.files[0]!;
    console.log(`• Listed ${listing.total} backup: ${backup.backup_id}`);
    console.log(`    file_path  ${backup.file_path}`);
    console.log(
      `    file_size  ${backup.file_size} bytes, compression_ratio ${backup.compression_ratio}, ${backup.encryption}`,
    );
    console.log(`    checksum   ${backup.checksum}`);

    const restore = await service.createRestore({
      restore_name: 'Quick start restore',
      backup_id: backup.backup_id,
      destination: { type: 'filesystem', path: restoreDir },
    });
    const restored = await service.waitFor(restore.restore_id);
    if (restored.status !== 'completed') {
      console.error(`✗ Restore ${restored.status}: ${JSON.stringify(restored.error)}`);
      return 1;
    }
    console.log(`• Restore ${restore.restore_id} completed into ${restoreDir}`);

    const problems = compareTrees(original, await digestTree(restoreDir));
    if (problems.length > 0) {
      console.error(
        `✗ ${problems.length} files differ after restore:\n  ${problems.slice(0, 20).join('\n  ')}`,
      );
      return 1;
    }
    const stored = backup.file_size;
    const backupSeconds = Math.max(0.001, backup.duration);
    console.log(`✓ All ${original.size} files restored identically (SHA-256 checked)`);
    console.log('');
    console.log('Summary');
    console.log(`  files          ${original.size}`);
    console.log(`  logical size   ${mib(logical)}`);
    console.log(`  stored size    ${mib(stored)}`);
    console.log(`  ratio          ${(stored / logical).toFixed(3)} (stored / logical)`);
    console.log(
      `  backup speed   ${(logical / MiB / backupSeconds).toFixed(1)} MB/s (${backupSeconds.toFixed(2)} s, before verification)`,
    );
    return 0;
  } finally {
    await service.stop();
    if (keep) console.log(`(kept ${work})`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('✗ Quick start failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
