import { BackupError, forEachConcurrent, type Manifest, type Repository } from '@backupkit/core';

/**
 * Every committed backup's manifest, oldest first: the manifest is the commit, so storage alone
 * says what exists. A manifest that cannot be read (a missing or wrong key, damage) fails the
 * listing rather than hide a backup.
 */
export async function readSnapshots(repository: Repository, signal?: AbortSignal): Promise<Manifest[]> {
  const ids = await repository.listSnapshotIds({ signal });
  const manifests: Manifest[] = [];
  await forEachConcurrent(ids, 8, async (id) => {
    manifests.push(await repository.readManifest(id, { signal }));
  });
  return manifests.sort(byCompletion);
}

function byCompletion(a: Manifest, b: Manifest): number {
  return a.completed_at.localeCompare(b.completed_at) || a.backup_id.localeCompare(b.backup_id);
}

/**
 * The manifest of `reference`: a backup id, or `latest` (the newest backup, of `jobId` when given).
 * @throws BackupError `backup_not_found` (exit 3).
 */
export async function resolveBackup(
  repository: Repository,
  reference: string,
  signal?: AbortSignal,
  jobId?: string,
): Promise<Manifest> {
  if (reference !== 'latest') return repository.readManifest(reference, { signal });
  const all = await readSnapshots(repository, signal);
  const newest = all.filter((m) => jobId === undefined || m.job_id === jobId).at(-1);
  if (!newest) {
    throw new BackupError('backup_not_found', 'The repository holds no backup yet', {
      details: { backup_id: 'latest' },
    });
  }
  return newest;
}
