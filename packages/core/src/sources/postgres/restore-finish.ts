import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { BackupError } from '../../errors.js';
import type { ChunkRef } from '../../repository/manifest.js';
import type { RestoreRunContext } from '../backup-source.js';
import { firstChunkDifference } from '../chunk-refs.js';
import type { PostgresRestoreOptions } from './config.js';
import { mapPgError, qualified, quoteIdent } from './connection.js';
import { copyFormatOf, copyToSql } from './copy-format.js';
import { CopyOutStream } from './copy-out-stream.js';
import { addConstraintSql } from './ddl.js';
import {
  foreignKeysToCreate,
  type PlannedForeignKey,
  type SkippedForeignKey,
  skippedKeyWarning,
} from './foreign-key-targets.js';
import { foreignKeyCost, verifyCost } from './restore-cost.js';
import type { PlannedTable, RestorePlan } from './restore-plan.js';
import { RowDigest } from './row-digest.js';
import type { ObjectFailure } from './table-objects.js';

export interface ForeignKey {
  /** Qualified table name as regclass prints it (search_path = pg_catalog). */
  table: string;
  name: string;
  definition: string;
}

/** Drops (inside the caller's transaction) every foreign key from or to `tables`, returning them. */
export async function dropForeignKeys(client: pg.Client, tables: string[]): Promise<ForeignKey[]> {
  if (tables.length === 0) return [];
  const { rows } = await client.query<ForeignKey>(
    `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint
      WHERE contype = 'f' AND (conrelid = ANY($1::regclass[]) OR confrelid = ANY($1::regclass[]))
      ORDER BY 1, 2`,
    [tables],
  );
  for (const key of rows)
    await client.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  return rows;
}

/** Puts foreign keys back: NOT VALID, then VALIDATE. Returns a warning per key left unvalidated. */
export async function readdForeignKeys(client: pg.Client, keys: readonly ForeignKey[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const key of keys) {
    try {
      await client.query(
        `ALTER TABLE ${key.table} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition} NOT VALID`,
      );
    } catch (error) {
      warnings.push(
        `Foreign key ${key.name} on ${key.table} could not be put back: ${(error as Error).message}`,
      );
      continue;
    }
    try {
      await client.query(`ALTER TABLE ${key.table} VALIDATE CONSTRAINT ${quoteIdent(key.name)}`);
    } catch (error) {
      warnings.push(
        `Foreign key ${key.name} on ${key.table} is NOT VALID: the restored rows do not satisfy it (${(error as Error).message})`,
      );
    }
  }
  return warnings;
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export interface FinishArgs {
  control: pg.Client;
  pool: pg.Pool;
  plan: RestorePlan;
  options: PostgresRestoreOptions;
  /** Rows and bytes loaded per table; `digest` (tables stored in parts): their RowDigest. */
  restored: Map<string, { rows: number; bytes: number; digest?: string }>;
  droppedKeys: ForeignKey[];
  signal: AbortSignal;
  connectionString: string;
  /** From the restore's context: re-derives a backup's chunk list from restored data. */
  chunkRefsOf?: RestoreRunContext['chunkRefsOf'];
  /** Indexes and constraints that could not be built when their table's data was in. */
  objectFailures: readonly ObjectFailure[];
  /** Hears of work done, in the units finishRestoreCost priced it in. */
  reportWork?: (units: number) => void;
}

/**
 * After all data: foreign keys of created tables (those whose referenced table is restored or
 * already in the target; the others are skipped with a warning, as `pg_restore -t` would not
 * create them) and the dropped ones put back, sequences, then verification. Each created table's own indexes and constraints were built as soon as
 * its data was in (buildTableObjects); their failures come in `objectFailures`.
 */
export async function finishRestore(args: FinishArgs): Promise<Record<string, unknown>> {
  const { plan, options, pool } = args;
  const done = [...plan.tables.values()].filter((t) => args.restored.has(t.entry.name));
  const created = done.filter((t) => !t.exists);
  const failures: ObjectFailure[] = [...args.objectFailures];

  const addForeignKeys = async (keys: PlannedForeignKey[], client: pg.PoolClient): Promise<void> => {
    for (const { table: t, constraint: c } of keys) {
      try {
        await client.query(addConstraintSql(t.table.schema, t.table.name, c.name, c.definition));
      } catch (error) {
        failures.push({
          table: t.entry.name,
          object: `constraint ${c.name}`,
          message: (error as Error).message,
        });
      }
      args.reportWork?.(foreignKeyCost(t));
    }
  };

  try {
    let skipped: SkippedForeignKey[] = [];
    if (!options.skipConstraints) {
      const keys = await foreignKeysToCreate(args.control, created);
      skipped = keys.skipped;
      const byTable = new Map<PlannedTable, PlannedForeignKey[]>();
      for (const key of keys.create) byTable.set(key.table, [...(byTable.get(key.table) ?? []), key]);
      await forEachLimit([...byTable.values()], options.parallelism, async (tableKeys) => {
        args.signal.throwIfAborted();
        const client = await pool.connect();
        try {
          await addForeignKeys(tableKeys, client);
        } finally {
          client.release();
        }
      });
    }
    const warnings = [
      ...skipped.map(skippedKeyWarning),
      ...(await readdForeignKeys(args.control, args.droppedKeys)),
    ];
    await setSequences(args.control, plan, done);

    const objects = await checkObjects(args, done, skipped);
    if (options.verifyAfterRestore) await verifyData(args, done);
    const dataVerified = options.verifyAfterRestore;
    const verification = {
      status: !options.verifyAfterRestore
        ? 'skipped'
        : objects.constraints && objects.indexes
          ? 'passed'
          : 'failed',
      data_integrity_verified: dataVerified,
      constraints_verified: objects.constraints,
      indexes_verified: objects.indexes,
    };

    if (failures.length > 0) {
      throw new BackupError(
        'restore_failed',
        `Data restored, but ${failures.length} object(s) could not be created: ${failures
          .map((f) => `${f.table} ${f.object}: ${f.message}`)
          .join('; ')}`,
        { details: { failures } },
      );
    }
    let records = 0;
    let bytes = 0;
    for (const r of args.restored.values()) {
      records += r.rows;
      bytes += r.bytes;
    }
    return {
      tables_restored: done.length,
      records_restored: records,
      data_size: bytes,
      restored_at: new Date().toISOString(),
      verification: {
        ...verification,
        tables: done.map((t) => t.entry.name),
        verified_at: options.verifyAfterRestore ? new Date().toISOString() : null,
      },
      // Flat copies for callers that read them at the top level.
      ...verification,
      warnings,
    };
  } catch (error) {
    throw mapPgError(error, args.connectionString, 'restore_failed', 'Finishing the restore failed');
  }
}

/** Owned sequences take the backup's value; a shared sequence only ever moves forward. */
async function setSequences(client: pg.Client, plan: RestorePlan, tables: PlannedTable[]): Promise<void> {
  for (const t of tables) {
    const owned = plan.schema.sequences.filter(
      (s) => s.owned_by?.schema === t.table.schema && s.owned_by.table === t.table.name,
    );
    for (const seq of owned) {
      let target: string | null = qualified(seq.schema, seq.name);
      if (t.exists && seq.owned_by) {
        const found = await client.query<{ seq: string | null }>(
          'SELECT pg_get_serial_sequence($1, $2) AS seq',
          [qualified(t.table.schema, t.table.name), seq.owned_by.column],
        );
        target = found.rows[0]?.seq ?? null;
      }
      if (target) {
        await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [
          target,
          seq.last_value,
          seq.is_called,
        ]);
      }
    }
    for (const name of t.table.sequences) {
      const seq = plan.schema.sequences.find((s) => `${s.schema}.${s.name}` === name && !s.owned_by);
      if (!seq) continue;
      const target = qualified(seq.schema, seq.name);
      const current = await client.query<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text AS last_value, is_called FROM ${target}`,
      );
      const row = current.rows[0];
      if (!row?.is_called || BigInt(row.last_value) < BigInt(seq.last_value)) {
        await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [
          target,
          seq.last_value,
          seq.is_called,
        ]);
      }
    }
  }
}

/**
 * Re-reads each restored table in the format it was backed up in (text or binary) and compares
 * it with the backup: the row count (the server's, from the COPY command tag: binary data has no
 * row separator to count), and the content — re-cut and re-hashed into the chunk list the backup
 * recorded (`chunkRefsOf`), or, for backups from before that, the entry's whole-content SHA-256.
 */
async function verifyData(args: FinishArgs, tables: PlannedTable[]): Promise<void> {
  const mismatches: { table: string; reason: string }[] = [];
  await forEachLimit(tables, args.options.parallelism, async (t) => {
    const client = await args.pool.connect();
    let broken: Error | undefined;
    const onBytes = (n: number): void => args.reportWork?.(verifyCost(n));
    try {
      const copy = client.query(new CopyOutStream(copyToSql(t.table)));
      let differs: string | null = null;
      const loaded = args.restored.get(t.entry.name)?.digest;
      if (t.entry.parts && t.entry.parts.length > 0) {
        // Its parts were loaded at once and interleave in the heap: compared as rows, in any order.
        const digest = new RowDigest(copyFormatOf(t.table));
        await pipeline(copy, digest, hashingSink(null, onBytes), { signal: args.signal });
        if (loaded === undefined) differs = 'no digest of the loaded rows to compare with';
        else if (digest.total.toString() !== loaded) differs = 'rows differ from the backup';
      } else if (t.entry.sha256 !== undefined) {
        const hash = createHash('sha256');
        await pipeline(copy, hashingSink(hash, onBytes), { signal: args.signal });
        if (hash.digest('hex') !== t.entry.sha256) differs = 'content checksum differs from the backup';
      } else if (args.chunkRefsOf) {
        const refs = await args.chunkRefsOf(counted(copy, onBytes), args.signal);
        const at = firstChunkDifference(refs, t.entry.chunks);
        if (at >= 0) differs = `content differs from the backup from byte ${offsetOf(t.entry.chunks, at)} on`;
      } else {
        await pipeline(copy, hashingSink(null, onBytes), { signal: args.signal });
      }
      // The row count arrives with CommandComplete, after the data: a query queued behind the
      // COPY resolves once pg has processed it.
      await client.query('SELECT 1');
      if (typeof t.table.row_count === 'number' && copy.rowCount !== t.table.row_count) {
        mismatches.push({
          table: t.entry.name,
          reason: `${copy.rowCount} rows, backup has ${t.table.row_count}`,
        });
      } else if (differs) {
        mismatches.push({ table: t.entry.name, reason: differs });
      }
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // A connection left mid-COPY is not reusable.
      client.release(broken);
    }
  });
  if (mismatches.length > 0) {
    throw new BackupError(
      'integrity_error',
      `Verification after restore failed: ${mismatches.map((m) => `${m.table}: ${m.reason}`).join('; ')}`,
      { details: { mismatches } },
    );
  }
}

/**
 * Every constraint and index the backup has for a created table exists and is valid (foreign
 * keys left out on purpose, `skipped`, excepted).
 */
async function checkObjects(
  args: FinishArgs,
  tables: PlannedTable[],
  skipped: readonly SkippedForeignKey[],
): Promise<{ constraints: boolean; indexes: boolean }> {
  const created = tables.filter((t) => !t.exists);
  const { rows } = await args.control.query<{ table: string; name: string; kind: string; ok: boolean }>(
    `SELECT n.nspname || '.' || t.relname AS table, c.conname AS name, 'constraint' AS kind, c.convalidated AS ok
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.conrelid = ANY($1::regclass[])
     UNION ALL
     SELECT n.nspname || '.' || t.relname, ic.relname, 'index', i.indisvalid
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE i.indrelid = ANY($1::regclass[])`,
    [created.map((t) => qualified(t.table.schema, t.table.name))],
  );
  const has = (t: PlannedTable, kind: string, name: string): boolean =>
    rows.some(
      (r) => r.kind === kind && r.name === name && r.ok && r.table === `${t.table.schema}.${t.table.name}`,
    );
  const left = (t: PlannedTable, name: string): boolean =>
    skipped.some((k) => k.table === t.entry.name && k.constraint === name);
  const constraintsOk =
    args.options.skipConstraints ||
    created.every((t) => t.table.constraints.every((c) => left(t, c.name) || has(t, 'constraint', c.name)));
  const indexesOk =
    args.options.skipIndexes || created.every((t) => t.table.indexes.every((i) => has(t, 'index', i.name)));
  return { constraints: constraintsOk, indexes: indexesOk };
}

/** A sink that adds what it is given to `hash` (or just drains it), telling `onBytes` how much. */
function hashingSink(hash: Hash | null, onBytes: (bytes: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash?.update(chunk);
      onBytes(chunk.length);
      callback();
    },
  });
}

/** `source` as it is, telling `onBytes` the size of each piece. */
async function* counted(
  source: AsyncIterable<Buffer>,
  onBytes: (bytes: number) => void,
): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Byte offset where chunk `index` of `chunks` starts. */
function offsetOf(chunks: readonly ChunkRef[], index: number): number {
  let offset = 0;
  for (let i = 0; i < index && i < chunks.length; i++) offset += chunks[i]!.size;
  return offset;
}
