import type { SourceKind } from '../backup-source.js';
import { basicRestoreSummary } from '../restore-summary.js';
import { directoryTestRestore } from './directory-test-restore.js';
import { createFilesystemRestoreTarget } from './filesystem-restore-target.js';
import { createFilesystemSource } from './filesystem-source.js';
import { selectDirectoryEntries } from './restore-selection.js';

function stringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function optionalList(config: Record<string, unknown>, field: string): string[] | undefined {
  return stringList(config[field]) ? (config[field] as string[]) : undefined;
}

/**
 * The `filesystem` source kind for the service's registry: a directory tree, restored into a
 * directory (`destination.paths` selects), test-restored into a scratch directory. The service
 * confines `path` to the host's roots (`accessRequests`) and passes the run's denied paths; a
 * restore creates symlinks leading outside its directory only when both the destination
 * (`allow_external_symlinks`) and the host allow it.
 */
export const filesystemSourceKind: SourceKind = {
  types: ['filesystem'],
  family: 'filesystem',
  validateSource(config) {
    const issues: string[] = [];
    if (typeof config.path !== 'string' || config.path.trim() === '')
      issues.push('path: must be a directory path');
    for (const field of ['include', 'exclude']) {
      if (config[field] !== undefined && !stringList(config[field]))
        issues.push(`${field}: must be a list of globs`);
    }
    return issues;
  },
  accessRequests: (config, use) => [
    {
      type: 'directory',
      field: 'path',
      path: String(config.path ?? ''),
      access: use === 'backup' ? 'read' : 'write',
    },
  ],
  createSource: (config, environment) =>
    createFilesystemSource({
      path: String(config.path ?? ''),
      include: optionalList(config, 'include'),
      exclude: optionalList(config, 'exclude'),
      deniedPaths: environment?.deniedPaths,
    }),
  // Without an environment (the kind used directly, not through the service) the destination's
  // own flag decides: external symlinks stay off unless it asks for them.
  createRestoreTarget: (destination, _options, environment) =>
    createFilesystemRestoreTarget({
      path: String(destination.path ?? ''),
      paths: optionalList(destination, 'paths'),
      overwriteExisting: destination.overwrite_existing === true,
      deniedPaths: environment?.deniedPaths,
      allowExternalSymlinks:
        destination.allow_external_symlinks === true &&
        (environment === undefined || environment.allowExternalSymlinks === true),
    }),
  selectEntries: (manifest, destination) => selectDirectoryEntries(manifest, destination),
  // Files counted; a directory has no checks of its own beyond each file's checksum.
  restoreSummary: basicRestoreSummary,
  testRestore: (context) => directoryTestRestore(context),
};
