import type { SourceKind } from './backup-source.js';
import { filesystemSourceKind } from './filesystem/filesystem-kind.js';
import { postgresSourceKind } from './postgres/postgres-kind.js';

/** The kinds a service (and a verification) knows without configuration: directories and PostgreSQL. */
export function defaultSourceKinds(): SourceKind[] {
  return [filesystemSourceKind, postgresSourceKind];
}
