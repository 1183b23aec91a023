import type { SourceKind } from '../sources/backup-source.js';
import { filesystemSourceKind } from '../sources/filesystem/filesystem-kind.js';
import { postgresSourceKind } from '../sources/postgres/index.js';

/** The kinds a service knows without configuration: directories and PostgreSQL databases. */
export function defaultSourceKinds(): SourceKind[] {
  return [filesystemSourceKind, postgresSourceKind];
}
