/** A chunk as a manifest entry references it, in order. */
export interface ChunkRef {
  /** 64 hex: HMAC-SHA-256 (encrypted repositories) or SHA-256 of the plaintext. */
  id: string;
  /** Plaintext bytes in this chunk. */
  size: number;
}

/** One named thing in a backup: a file, a directory, a symlink, a table. */
export interface ManifestEntry {
  /** Unique within the backup: a relative POSIX path, or `schema.table`. */
  name: string;
  /** Source-defined kind: `file`, `directory`, `symlink`, `table`, ... */
  kind: string;
  /** Plaintext bytes of the entry's content (0 when it has none). */
  size: number;
  /** SHA-256 hex of the entry's plaintext content; absent when it has none. */
  sha256?: string;
  /** The content, in order. Empty for entries without content. */
  chunks: ChunkRef[];
  /** Source-defined metadata: mode and mtime of a file, columns and row count of a table... */
  metadata: Record<string, unknown>;
  /**
   * Set when the content was read as separate streams (a big table's page ranges), in order:
   * `chunks` is their chunk lists one after the other, each part owning the next `chunks` of
   * them. Each part is whole on its own (e.g. a COPY stream with its own header), so a reader
   * hands parts over one by one, never `chunks` as one stream. Such an entry has no `sha256`.
   * Absent for single-stream content and in manifests written before parts existed.
   */
  parts?: EntryPart[];
}

/** One separately read stream of an entry's content (see {@link ManifestEntry.parts}). */
export interface EntryPart {
  /** Plaintext bytes of this part. */
  size: number;
  /** How many of the entry's `chunks`, after the previous parts' ones, are this part's. */
  chunks: number;
  /** Source-defined metadata: a table part's page range and row count. */
  metadata: Record<string, unknown>;
}

export interface ManifestTotals {
  entries: number;
  /** Plaintext bytes of every entry. */
  logical_bytes: number;
  /** Distinct chunks referenced. */
  chunks: number;
  /** Chunks this backup wrote. */
  new_chunks: number;
  /** Plaintext bytes of the chunks this backup wrote. */
  new_bytes: number;
  /** Stored (compressed + encrypted) bytes of the chunks this backup wrote. */
  stored_bytes: number;
  /** Stored bytes of every distinct chunk referenced (the backup's size on its own). */
  referenced_stored_bytes: number;
}

/**
 * The snapshot record, written last: its presence in storage is the commit.
 * Holds no secrets (connection strings are redacted before they get here).
 */
export interface Manifest {
  format: 1;
  backup_id: string;
  job_id: string;
  backup_type: 'full' | 'incremental' | 'differential';
  parent_backup_id: string | null;
  started_at: string;
  completed_at: string;
  /** The source as configured, secrets masked. */
  source: Record<string, unknown>;
  compression: { algorithm: CompressionAlgorithm; level?: number };
  encryption: { enabled: boolean; algorithm?: 'AES-256-GCM'; key_id?: string };
  /** Source-level metadata (e.g. the captured PostgreSQL schema). */
  metadata: Record<string, unknown>;
  entries: ManifestEntry[];
  totals: ManifestTotals;
  /**
   * Stored (compressed + encrypted) bytes of each distinct chunk referenced, by chunk id, as the
   * run saw them (written, listed or head()ed); lets checksum verification check stored objects
   * without decrypting. Optional: manifests written before it was added lack it.
   */
  stored_chunks?: Record<string, number>;
  /**
   * SHA-256 hex of each chunk object's stored bytes, by chunk id: computed when this run wrote
   * the object, carried over from the parent manifest for reused chunks of the same stored size,
   * absent when unknown. Lets checksum verification catch same-size damage without decrypting.
   * Optional: manifests written before it was added lack it.
   */
  stored_chunk_sha256?: Record<string, string>;
}

export type CompressionAlgorithm = 'none' | 'gzip' | 'brotli' | 'zstd';
