import { invalidConfigError } from '../../errors.js';
import type { Manifest } from '../../repository/manifest.js';
import type { RestoreSelection } from '../restore-selection.js';
import { selectFilesystemEntries } from './filesystem-restore-target.js';

/**
 * `SourceKind.selectEntries` for directories: the entries `destination.paths` selects (a
 * directory brings everything beneath it), everything without it.
 * @throws BackupError `invalid_backup_config` (`destination.paths`) when nothing matches.
 */
export function selectDirectoryEntries(
  manifest: Pick<Manifest, 'entries'>,
  destination: Record<string, unknown>,
): RestoreSelection {
  const paths = destination.paths as string[] | undefined;
  const entries = selectFilesystemEntries(manifest.entries, paths);
  if (paths && entries.length === 0) {
    throw invalidConfigError('destination.paths', 'Nothing in the backup matches the selection');
  }
  return { entries, config: destination, warnings: [], missing: [] };
}
