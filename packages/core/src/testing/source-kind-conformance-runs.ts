import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
// The package's main entry, not its sources (see storage-conformance.ts).
import {
  type BackupSource,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  newId,
  Repository,
  type RestoreResult,
  type RestoreSelection,
  type RestoreTarget,
  runBackup,
  runRestore,
  type SourceKind,
  selectRestoreEntries,
} from '@backupkit/core';

const KEY_ID = 'conformance';

/** The restore options a restore request gets by default. */
export const RESTORE_OPTIONS: Readonly<Record<string, unknown>> = {
  verify_before_restore: true,
  verify_after_restore: true,
  skip_constraints: false,
  skip_indexes: false,
  parallel_restore: true,
  max_parallel_jobs: 4,
};

/** A scratch directory holding local storage; the repository lives at `<storageRoot>/<repositoryPath>`. */
export interface ConformanceWorkspace {
  dir: string;
  storageRoot: string;
  repositoryPath: string;
  keys: LocalKeyProvider;
  repository: Repository;
  cleanup(): Promise<void>;
}

export async function createWorkspace(): Promise<ConformanceWorkspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bk-kind-conformance-'));
  const storageRoot = path.join(dir, 'storage');
  const repositoryPath = 'repository';
  const keys = new LocalKeyProvider({ [KEY_ID]: randomBytes(32) });
  const repository = await Repository.open(
    new LocalStorageDriver({ root: path.join(storageRoot, repositoryPath) }),
    {
      keyProvider: keys,
      encryption: { enabled: true, keyId: KEY_ID },
      create: true,
    },
  );
  return {
    dir,
    storageRoot,
    repositoryPath,
    keys,
    repository,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A full backup of `source` through the engine. */
export function backUp(repository: Repository, source: BackupSource, jobId: string): Promise<Manifest> {
  return runBackup({
    repository,
    source,
    context: { signal: new AbortController().signal, parent: null, full: true },
    jobId,
    backupId: newId('backup'),
    backupType: 'full',
    compression: { algorithm: 'zstd' },
  });
}

/** A restore the way the service runs one: the kind selects, its target writes, the engine streams. */
export async function restoreInto(
  kind: SourceKind,
  repository: Repository,
  manifest: Manifest,
  destination: Record<string, unknown>,
): Promise<{ selection: RestoreSelection; result: RestoreResult }> {
  const selection = selectRestoreEntries(kind, manifest, destination);
  const target = kind.createRestoreTarget(selection.config, { ...RESTORE_OPTIONS });
  const result = await runRestore({
    repository,
    manifest,
    target,
    entries: selection.entries,
    options: { ...RESTORE_OPTIONS, ...selection.config },
    verifyFirst: true,
  });
  return { selection, result };
}

/** In-memory restore target of `otherFamilyKind`: takes anything, keeps nothing. */
function discardingTarget(): RestoreTarget {
  return {
    parallelism: 1,
    prepare: async () => {},
    restoreEntry: async (entry, content) => {
      let bytes = 0;
      for await (const piece of content ?? []) bytes += (piece as Buffer).length;
      return { name: entry.name, records: 1, bytes };
    },
    finish: async () => ({}),
    close: async () => {},
  };
}

/** A kind of another family than `family`: one small in-memory entry, restored nowhere. */
export function otherFamilyKind(family: string): SourceKind {
  const type = 'conformance-other';
  return {
    types: [type],
    family: `${family}-other`,
    validateSource: () => [],
    createSource: () => ({
      type,
      describe: () => ({ type }),
      open: async () => ({
        entries: (async function* () {
          yield {
            name: 'blob',
            kind: 'blob',
            metadata: {},
            estimatedBytes: 5,
            open: async () => Readable.from([Buffer.from('other')]),
          };
        })(),
        estimatedBytes: 5,
        metadata: {},
        parallelism: 1,
        close: async () => {},
      }),
    }),
    createRestoreTarget: () => discardingTarget(),
  };
}
