import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupRunContext, Manifest, ManifestEntry, RestoreTarget, SourceEntry } from '@backupkit/core';

export interface TreeRecord {
  kind: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  /** Microseconds: what a restore can reproduce (utimes takes a double). */
  mtimeUs: number;
  size?: number;
  sha256?: string;
  target?: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(file)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** Every path under `root` with its kind, mode, mtime and content hash: what "identical" means. */
export async function snapshotTree(
  root: string,
  options: { mtimes?: boolean } = {},
): Promise<Map<string, TreeRecord>> {
  const result = new Map<string, TreeRecord>();
  const visit = async (dir: string, prefix: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = await lstat(full);
      const ns = (await lstat(full, { bigint: true })).mtimeNs;
      const base = { mode: st.mode & 0o7777, mtimeUs: options.mtimes === false ? 0 : Number(ns / 1000n) };
      if (st.isDirectory()) {
        result.set(rel, { kind: 'directory', ...base });
        await visit(full, rel);
      } else if (st.isFile()) {
        result.set(rel, { kind: 'file', ...base, size: st.size, sha256: await sha256File(full) });
      } else if (st.isSymbolicLink()) {
        result.set(rel, { kind: 'symlink', mode: 0, mtimeUs: base.mtimeUs, target: await readlink(full) });
      } else {
        result.set(rel, { kind: 'other', ...base });
      }
    }
  };
  await visit(root, '');
  return result;
}

export function context(overrides: Partial<BackupRunContext> = {}): BackupRunContext {
  return { signal: new AbortController().signal, parent: null, full: false, ...overrides };
}

export async function collect(entries: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

/** Reads every entry's content like the engine would (without chunking) into manifest entries. */
export async function toManifestEntries(entries: SourceEntry[]): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const entry of entries) {
    let size = 0;
    let sha256: string | undefined;
    if (entry.open) {
      const hash = createHash('sha256');
      for await (const piece of await entry.open(new AbortController().signal)) {
        hash.update(piece as Buffer);
        size += (piece as Buffer).length;
      }
      sha256 = hash.digest('hex');
    }
    out.push({ name: entry.name, kind: entry.kind, size, sha256, chunks: [], metadata: entry.metadata });
  }
  return out;
}

export function manifestOf(entries: ManifestEntry[]): Manifest {
  return {
    format: 1,
    backup_id: 'backup_test',
    job_id: 'job_test',
    backup_type: 'full',
    parent_backup_id: null,
    started_at: new Date().toISOString(),
    completed_at: new Date().toISOString(),
    source: { type: 'filesystem' },
    compression: { algorithm: 'none' },
    encryption: { enabled: false },
    metadata: {},
    entries,
    totals: {
      entries: entries.length,
      logical_bytes: 0,
      chunks: 0,
      new_chunks: 0,
      new_bytes: 0,
      stored_bytes: 0,
      referenced_stored_bytes: 0,
    },
  };
}

/** Drives a restore target the way the engine does, sequentially, with the given content per entry. */
export async function restoreWith(
  target: RestoreTarget,
  entries: ManifestEntry[],
  content: (entry: ManifestEntry) => Readable | null,
  signal: AbortSignal = new AbortController().signal,
): Promise<Record<string, unknown>> {
  const ctx = { signal, manifest: manifestOf(entries), entries, options: {} };
  try {
    await target.prepare(ctx);
    for (const entry of entries) await target.restoreEntry(entry, content(entry), ctx);
    return await target.finish(ctx);
  } finally {
    await target.close();
  }
}

/** Every file name (recursively) under `root`, for "nothing was left behind" checks. */
export async function listAll(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      out.push(rel);
      if (entry.isDirectory()) await visit(path.join(dir, entry.name), rel);
    }
  };
  await visit(root, '');
  return out.sort();
}
