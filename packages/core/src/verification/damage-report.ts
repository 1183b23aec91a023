import { isBackupError } from '../errors.js';
import { packKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { DamagedObject, DamageProblem } from './types.js';

/** Damage as a check finds it; the report fills in entries and sharing backups afterwards. */
export interface DamageFinding {
  kind: DamagedObject['kind'];
  problem: DamageProblem;
  detail: string;
  found_by: DamagedObject['found_by'];
  chunk_id?: string;
  /** Repository key for manifest damage; chunk damage derives it from the id. */
  key?: string;
  /** Entry name, for entry-level damage. */
  entry?: string;
}

/** Collects damage once per object (the first check to find it names it), up to a limit. */
export class DamageCollector {
  readonly #limit: number;
  readonly #found = new Map<string, DamageFinding>();
  truncated = false;

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  add(finding: DamageFinding): void {
    const id = finding.chunk_id ?? finding.key ?? `entry:${finding.entry}`;
    if (this.#found.has(id)) return;
    if (this.#found.size >= this.#limit) {
      this.truncated = true;
      return;
    }
    this.#found.set(id, finding);
  }

  /** Whether a chunk is already known to be damaged (later checks skip reading it again). */
  hasChunk(chunkId: string): boolean {
    return this.#found.has(chunkId);
  }

  get size(): number {
    return this.#found.size;
  }

  get findings(): DamageFinding[] {
    return [...this.#found.values()];
  }
}

export interface DamageReportOptions {
  repository: Repository;
  /** The damaged backup's manifest, or null when the manifest itself is unreadable. */
  manifest: Manifest | null;
  backupId: string;
  findings: DamageFinding[];
  /** Read the other manifests to find backups sharing damaged chunks (default true). */
  scanOtherBackups?: boolean;
  signal?: AbortSignal;
}

/**
 * Names each damaged object precisely: its location in storage, the tables or files of this
 * backup whose content it holds, and the other committed backups that reference the same
 * chunk (read from their manifests in storage, so the answer does not depend on the catalog).
 * Manifests that cannot be read are skipped: this report must not fail on the damage it describes.
 */
export async function buildDamageReport(options: DamageReportOptions): Promise<DamagedObject[]> {
  const { repository, manifest, findings } = options;
  const damagedChunks = new Set(findings.flatMap((f) => (f.chunk_id ? [f.chunk_id] : [])));
  const entriesOf = new Map<string, string[]>();
  if (manifest) {
    for (const entry of manifest.entries) {
      for (const ref of entry.chunks) {
        if (!damagedChunks.has(ref.id)) continue;
        const names = entriesOf.get(ref.id) ?? [];
        if (names.at(-1) !== entry.name) names.push(entry.name);
        entriesOf.set(ref.id, names);
      }
    }
  }
  const later = new Map<string, string[]>();
  const earlier = new Map<string, string[]>();
  if (damagedChunks.size > 0 && options.scanOtherBackups !== false) {
    const ownTime = manifest?.completed_at ?? '';
    for (const id of await repository.listSnapshotIds({ signal: options.signal })) {
      if (id === options.backupId) continue;
      let other: Manifest;
      try {
        other = await repository.readManifest(id, { signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted || !isBackupError(error)) throw error;
        continue;
      }
      const hits = new Set<string>();
      for (const entry of other.entries)
        for (const ref of entry.chunks) if (damagedChunks.has(ref.id)) hits.add(ref.id);
      const into = other.completed_at > ownTime ? later : earlier;
      for (const chunkId of hits) into.set(chunkId, [...(into.get(chunkId) ?? []), id]);
    }
  }
  const index = await repository
    .loadIndex({ ...(options.signal ? { signal: options.signal } : {}) })
    .catch(() => null);
  return findings.map((finding) => {
    // A chunk's object is the pack holding its blob (none when no pack does).
    const pack = finding.chunk_id ? index?.chunks.get(finding.chunk_id)?.pack : undefined;
    const key = pack ? packKey(pack) : (finding.key ?? null);
    return {
      // A chunk no pack holds is named by its id: there is no object to point at.
      object: key
        ? repository.driver.describe(key)
        : finding.chunk_id
          ? `chunk ${finding.chunk_id}`
          : (finding.entry ?? ''),
      key,
      kind: finding.kind,
      chunk_id: finding.chunk_id ?? null,
      problem: finding.problem,
      detail: finding.detail,
      entries: finding.chunk_id
        ? (entriesOf.get(finding.chunk_id) ?? [])
        : finding.entry
          ? [finding.entry]
          : [],
      shared_with_backups: finding.chunk_id ? [...(later.get(finding.chunk_id) ?? [])].sort() : [],
      earlier_backups: finding.chunk_id ? [...(earlier.get(finding.chunk_id) ?? [])].sort() : [],
      found_by: finding.found_by,
    };
  });
}
