import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runRestore } from '../engine/restore-engine.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { entryPath } from '../sources/filesystem/entry-path.js';
import {
  createFilesystemRestoreTarget,
  selectFilesystemEntries,
} from '../sources/filesystem/filesystem-restore-target.js';
import type { TestRestoreOptions, TestRestoreReport } from './types.js';

export interface DirectoryTestRestoreOptions {
  repository: Repository;
  manifest: Manifest;
  options: TestRestoreOptions;
  /** Parent of the scratch directory (default: the OS temp directory). */
  scratchRoot?: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

/**
 * Restores a directory backup (or the paths in `test_tables`) into a fresh scratch directory,
 * then reads every restored file back and compares size and SHA-256 with the manifest (symlink
 * targets and directories too). The scratch directory is removed afterwards unless
 * `cleanup_after_test` is false. Mismatches come back in the report (not thrown).
 * @throws BackupError `integrity_error` for damaged chunks, filesystem errors, `aborted`.
 */
export async function directoryTestRestore(options: DirectoryTestRestoreOptions): Promise<TestRestoreReport> {
  const dir = await mkdtemp(path.join(options.scratchRoot ?? os.tmpdir(), 'backupkit-test-restore-'));
  const cleanup = options.options.cleanup_after_test !== false;
  const paths = options.options.test_tables?.length ? options.options.test_tables : undefined;
  const report: TestRestoreReport = {
    kind: 'directory',
    target: dir,
    created_target: true,
    cleaned_up: false,
    entries_restored: 0,
    records_restored: 0,
    bytes_restored: 0,
    compared: [],
    mismatches: [],
  };
  try {
    const entries = selectFilesystemEntries(options.manifest.entries, paths);
    const result = await runRestore({
      repository: options.repository,
      manifest: options.manifest,
      target: createFilesystemRestoreTarget({ path: dir, paths }),
      entries,
      signal: options.signal,
      onProgress: (p) => options.onBytes?.(p.bytesDone),
    });
    report.entries_restored = result.entries.length;
    report.records_restored = result.records;
    report.bytes_restored = result.bytes;
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      const reason = await compareEntry(dir, entry);
      report.compared.push({ name: entry.name, size: entry.size, matched: reason === null });
      if (reason !== null) report.mismatches.push({ name: entry.name, reason });
    }
  } finally {
    if (cleanup) {
      await rm(dir, { recursive: true, force: true });
      report.cleaned_up = true;
    }
  }
  return report;
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
