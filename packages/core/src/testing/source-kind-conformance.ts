import { randomBytes } from 'node:crypto';
// The package's main entry, not its sources (see storage-conformance.ts).
import {
  createBackupService,
  createMemoryCatalog,
  isBackupError,
  kindFamily,
  type Manifest,
  runTestRestore,
  type SourceKind,
  selectRestoreEntries,
  summarizeRestore,
  supportsTestRestore,
  type TestRestoreOptions,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backUp,
  type ConformanceWorkspace,
  createWorkspace,
  otherFamilyKind,
  restoreInto,
} from './source-kind-conformance-runs.js';

/** Content a kind backs up, where it restores to, and how to tell the two apart. */
export interface SourceKindFixture {
  /** A job's `source` (real secrets) over content the fixture made and knows. */
  source: Record<string, unknown>;
  /** Source configs `validateSource` must find something wrong with. */
  invalidSources: Record<string, unknown>[];
  /** A fresh, empty restore destination (a restore's `destination`): a new one per call. */
  destination(): Promise<Record<string, unknown>>;
  /**
   * A selective restore: destination fields that select part of the backup (`{ tables: [...] }`,
   * `{ paths: [...] }`) and the names of the manifest entries they select.
   */
  subset: { select: Record<string, unknown>; entries: readonly string[] };
  /** Destination fields that select nothing of the backup (a table or path it does not have). */
  selectNothing: Record<string, unknown>;
  /**
   * Throws (or fails an `expect`) unless `destination` holds the original content: all of it,
   * or only the entries named in `only` (what a selective restore wrote, and nothing else).
   */
  compare(destination: Record<string, unknown>, only?: readonly string[]): Promise<void>;
  /** `test_restore_options` for the kind's test restore (default none). */
  testRestoreOptions?: () => TestRestoreOptions;
  /** Removes what the fixture made. */
  cleanup(): Promise<void>;
}

export interface SourceKindConformanceOptions {
  /** Names the `describe` block, e.g. `filesystem`. */
  name: string;
  kind: SourceKind;
  /** Called once before the cases. */
  createFixture: () => Promise<SourceKindFixture>;
  /** Per-case timeout; default 2 minutes. */
  timeoutMs?: number;
}

/**
 * Declares the source-kind conformance cases (vitest `describe`/`it`) for one `SourceKind`. Call
 * it at the top level of a test file:
 *
 * ```ts
 * import { sourceKindConformance } from '@backupkit/core/testing';
 * sourceKindConformance({ name: 'tape', kind: tapeKind, createFixture: tapeFixture });
 * ```
 *
 * Checks, through the real engine and an encrypted repository on local storage: a backup
 * restores whole (the fixture compares), a destination's selection restores just the subset
 * and one that selects nothing is `invalid_backup_config`, bad source configs have issues, the
 * service refuses restores across families, and the kind's test restore finds no mismatch (or,
 * without one, test restores are `not_implemented`).
 */
export function sourceKindConformance(options: SourceKindConformanceOptions): void {
  const { kind } = options;
  const timeout = options.timeoutMs ?? 120_000;
  describe(`SourceKind conformance: ${options.name}`, () => {
    let fixture: SourceKindFixture;
    let workspace: ConformanceWorkspace;
    let manifest: Manifest;

    beforeAll(async () => {
      fixture = await options.createFixture();
      workspace = await createWorkspace();
      manifest = await backUp(workspace.repository, kind.createSource(fixture.source), 'job_conformance');
    }, timeout);

    afterAll(async () => {
      await fixture?.cleanup();
      await workspace?.cleanup();
    });

    it('names its types and one family, and accepts the fixture source', () => {
      expect(kind.types.length).toBeGreaterThan(0);
      expect(typeof kindFamily(kind)).toBe('string');
      expect(kindFamily(kind).length).toBeGreaterThan(0);
      expect(kind.validateSource(fixture.source)).toEqual([]);
    });

    it('reports an issue for each bad source config', () => {
      expect(fixture.invalidSources.length).toBeGreaterThan(0);
      for (const config of fixture.invalidSources) {
        const issues = kind.validateSource(config);
        expect(issues.length, JSON.stringify(config)).toBeGreaterThan(0);
        for (const issue of issues) expect(typeof issue).toBe('string');
      }
    });

    it(
      'backs up and restores everything, and sums the restore up',
      async () => {
        // The manifest names one of the kind's types: how verification finds the kind again.
        expect(kind.types).toContain(manifest.source.type);
        expect(manifest.entries.length).toBeGreaterThan(0);
        const destination = await fixture.destination();
        const { selection, result } = await restoreInto(kind, workspace.repository, manifest, destination);
        expect(selection.entries.map((e) => e.name)).toEqual(manifest.entries.map((e) => e.name));
        expect(selection.warnings).toEqual([]);
        expect(selection.missing).toEqual([]);
        await fixture.compare(destination);
        const finished = {
          entries: selection.entries,
          details: result.details,
          restoredAt: new Date().toISOString(),
        };
        const summary = summarizeRestore(kind, { ...finished, verifyRequested: true });
        expect(summary.verification).toMatchObject({ status: 'passed', data_integrity_verified: true });
        expect(Number.isInteger(summary.counts.tables_restored)).toBe(true);
        for (const count of Object.values(summary.counts)) expect(count).toBeGreaterThanOrEqual(0);
        const unverified = summarizeRestore(kind, { ...finished, verifyRequested: false });
        expect(unverified.verification).toMatchObject({ status: 'skipped', verified_at: null });
      },
      timeout,
    );

    it(
      "restores only what a destination's selection names",
      async () => {
        const destination = { ...(await fixture.destination()), ...fixture.subset.select };
        const { selection } = await restoreInto(kind, workspace.repository, manifest, destination);
        const names = selection.entries.map((e) => e.name).sort();
        expect(names).toEqual([...fixture.subset.entries].sort());
        expect(names.length).toBeLessThan(manifest.entries.length);
        await fixture.compare(destination, fixture.subset.entries);
      },
      timeout,
    );

    it('refuses a selection that matches nothing, naming the field', async () => {
      const destination = { ...(await fixture.destination()), ...fixture.selectNothing };
      let thrown: unknown;
      try {
        selectRestoreEntries(kind, manifest, destination);
      } catch (error) {
        thrown = error;
      }
      expect(isBackupError(thrown, 'invalid_backup_config'), String(thrown)).toBe(true);
      expect(String((thrown as { details: { field?: unknown } }).details.field)).toMatch(/^destination\./);
    });

    it(
      'is never restored from or into a backup of another family',
      async () => {
        await expectFamiliesKeptApart(kind, workspace, manifest, await fixture.destination());
      },
      timeout,
    );

    it(
      kind.testRestore
        ? 'test-restores a backup and finds it matches, cleaning up'
        : 'answers test restores with not_implemented',
      async () => {
        if (!kind.testRestore) {
          expect(supportsTestRestore(String(manifest.source.type), [kind])).toBe(false);
          const refused = runTestRestore({
            repository: workspace.repository,
            manifest,
            options: {},
            sourceKinds: [kind],
          });
          await expect(refused).rejects.toMatchObject({ code: 'not_implemented' });
          return;
        }
        expect(supportsTestRestore(String(manifest.source.type), [kind])).toBe(true);
        const report = await runTestRestore({
          repository: workspace.repository,
          manifest,
          options: fixture.testRestoreOptions?.() ?? {},
          sourceConfig: fixture.source,
          sourceKinds: [kind],
        });
        expect(report.mismatches).toEqual([]);
        expect(report.entries_restored).toBeGreaterThan(0);
        expect(report.compared.length).toBeGreaterThan(0);
        expect(report.compared.every((c) => c.matched)).toBe(true);
        expect(report.cleaned_up).toBe(true);
      },
      timeout,
    );
  });
}

/**
 * Through the service: a backup of another family is refused for every type of `kind`, a
 * backup of `kind` is refused by the other family, and the other family takes its own backup.
 */
async function expectFamiliesKeptApart(
  kind: SourceKind,
  workspace: ConformanceWorkspace,
  manifest: Manifest,
  destination: Record<string, unknown>,
): Promise<void> {
  const other = otherFamilyKind(kindFamily(kind));
  const otherManifest = await backUp(workspace.repository, other.createSource({}), 'job_conformance_other');
  const service = createBackupService({
    catalog: createMemoryCatalog(),
    dataDir: workspace.dir,
    storage: { localRoot: workspace.storageRoot },
    keys: workspace.keys,
    secretKey: randomBytes(32),
    sources: [kind, other],
    // The service finds the engine's backups in storage.
    recoveryDestinations: [{ type: 'local', path: workspace.repositoryPath }],
  });
  const refused = { code: 'invalid_backup_config', details: { field: 'destination.type' } };
  try {
    for (const type of kind.types) {
      const restore = service.createRestore({
        backup_id: otherManifest.backup_id,
        destination: { ...destination, type },
      });
      await expect(restore, type).rejects.toMatchObject(refused);
    }
    const across = service.createRestore({
      backup_id: manifest.backup_id,
      destination: { type: other.types[0]! },
    });
    await expect(across).rejects.toMatchObject(refused);
    const own = await service.createRestore({
      backup_id: otherManifest.backup_id,
      destination: { type: other.types[0]! },
    });
    const done = await service.waitFor(own.restore_id, { timeoutMs: 60_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
  } finally {
    await service.stop({ cancelRunning: true });
  }
}
