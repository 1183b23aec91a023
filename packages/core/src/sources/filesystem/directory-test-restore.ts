import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ManifestEntry } from '../../repository/manifest.js';
import type { TestRestoreContext, TestRestoreReport } from '../test-restore.js';
import { entryPath } from './entry-path.js';
import { createFilesystemRestoreTarget, selectFilesystemEntries } from './filesystem-restore-target.js';

function emptyReport(target: string): TestRestoreReport {
  return {
    kind: 'directory',
    target,
    created_target: true,
    cleaned_up: false,
    entries_restored: 0,
    records_restored: 0,
    bytes_restored: 0,
    compared: [],
    mismatches: [],
  };
}

/**
 * `SourceKind.testRestore` for directories: restores the backup (or the paths in
 * `test_tables`) into a fresh scratch directory, then reads every restored file back and
 * compares size and SHA-256 with the manifest (symlink targets and directories too). The
 * scratch directory is removed afterwards unless `cleanup_after_test` is false. Mismatches come
 * back in the report (not thrown).
 * @throws BackupError `integrity_error` for damaged chunks, filesystem errors, `aborted`.
 */
export async function directoryTestRestore(context: TestRestoreContext): Promise<TestRestoreReport> {
  const dir = await mkdtemp(path.join(context.scratchRoot ?? os.tmpdir(), 'backupkit-test-restore-'));
  const paths = context.options.test_tables?.length ? context.options.test_tables : undefined;
  const report = emptyReport(dir);
  try {
    const entries = selectFilesystemEntries(context.manifest.entries, paths);
    const result = await context.restore(createFilesystemRestoreTarget({ path: dir, paths }), entries);
    report.entries_restored = result.entries.length;
    report.records_restored = result.records;
    report.bytes_restored = result.bytes;
    await compareEntries(dir, entries, report, context.signal);
  } finally {
    if (context.options.cleanup_after_test !== false) {
      await rm(dir, { recursive: true, force: true });
      report.cleaned_up = true;
    }
  }
  return report;
}

/** Compares every restored entry with the manifest, into `report`. */
async function compareEntries(
  dir: string,
  entries: ManifestEntry[],
  report: TestRestoreReport,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const entry of entries) {
    signal?.throwIfAborted();
    const reason = await compareEntry(dir, entry);
    report.compared.push({ name: entry.name, size: entry.size, matched: reason === null });
    if (reason !== null) report.mismatches.push({ name: entry.name, reason });
  }
}

/** Why the restored entry differs from the manifest, or null when it matches. */
async function compareEntry(root: string, entry: ManifestEntry): Promise<string | null> {
  const absolute = entryPath(root, entry.name);
  const stat = await lstat(absolute).catch(() => null);
  if (!stat) return 'not restored';
  switch (entry.kind) {
    case 'directory':
      return stat.isDirectory() ? null : 'not a directory';
    case 'symlink': {
      if (!stat.isSymbolicLink()) return 'not a symlink';
      const target = await readlink(absolute);
      return target === entry.metadata.target
        ? null
        : `points to ${target}, the backup has ${String(entry.metadata.target)}`;
    }
    case 'file': {
      if (!stat.isFile()) return 'not a regular file';
      if (stat.size !== entry.size) return `${stat.size} bytes, the backup has ${entry.size}`;
      const hash = createHash('sha256');
      for await (const piece of createReadStream(absolute)) hash.update(piece as Buffer);
      if (entry.sha256 !== undefined && hash.digest('hex') !== entry.sha256)
        return 'content differs from the backup';
      return null;
    }
    default:
      return null;
  }
}
