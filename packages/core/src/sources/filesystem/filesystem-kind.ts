import type { SourceKind } from '../backup-source.js';
import { createFilesystemRestoreTarget } from './filesystem-restore-target.js';
import { createFilesystemSource } from './filesystem-source.js';

function stringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function optionalList(config: Record<string, unknown>, field: string): string[] | undefined {
  return stringList(config[field]) ? (config[field] as string[]) : undefined;
}

/** The `filesystem` source kind for the service's registry: a directory tree, restored into a directory. */
export const filesystemSourceKind: SourceKind = {
  types: ['filesystem'],
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
  createSource: (config) =>
    createFilesystemSource({
      path: String(config.path ?? ''),
      include: optionalList(config, 'include'),
      exclude: optionalList(config, 'exclude'),
    }),
  createRestoreTarget: (destination) =>
    createFilesystemRestoreTarget({
      path: String(destination.path ?? ''),
      paths: optionalList(destination, 'paths'),
      overwriteExisting: destination.overwrite_existing === true,
    }),
};
