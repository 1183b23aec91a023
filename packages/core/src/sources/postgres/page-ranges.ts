import type pg from 'pg';

/**
 * A table read as heap page ranges: `[first, end)` pages, `end` null for the last range, which
 * is open so that pages added after sizing are read too.
 */
export interface PageRange {
  first: number;
  end: number | null;
}

/** A table to split: its heap's pages when sized, and its page ranges in order. */
export interface TableSplit {
  pages: number;
  ranges: PageRange[];
}

/** Tables to split, by oid (tables read whole are absent). */
export type SplitPlan = Map<number, TableSplit>;

/** The first server with TID range scans: before it a `ctid` range reads the whole table. */
const TID_RANGE_SCAN_VERSION = 140000;

/**
 * Page ranges for each of `oids` whose heap (`pg_relation_size`, the main fork as it is now,
 * not the planner's `relpages`) is larger than `aboveBytes`: ranges of half that many bytes,
 * so a table just over the threshold still gets two full ranges plus the rest. Boundaries are
 * multiples of the range size from page 0, never derived from the table's size, so a range
 * whose pages did not change gives the same COPY bytes next time and deduplicates.
 *
 * Only plain heap tables (`relkind 'r'`, access method `heap`) are split, on PostgreSQL 14 and
 * later; other tables are read whole.
 */
export async function planPageRanges(
  client: pg.Client,
  oids: readonly number[],
  aboveBytes: number | false,
): Promise<SplitPlan> {
  const plan: SplitPlan = new Map();
  if (aboveBytes === false || oids.length === 0) return plan;
  const { rows } = await client.query<{ oid: number; bytes: string; block: string; version: string }>(
    `SELECT c.oid::int AS oid, pg_relation_size(c.oid)::text AS bytes,
            current_setting('block_size') AS block, current_setting('server_version_num') AS version
       FROM pg_class c JOIN pg_am am ON am.oid = c.relam
      WHERE c.oid = ANY($1::oid[]) AND c.relkind = 'r' AND am.amname = 'heap'`,
    [oids],
  );
  for (const row of rows) {
    if (Number(row.version) < TID_RANGE_SCAN_VERSION) return plan;
    const bytes = Number(row.bytes);
    if (bytes <= aboveBytes) continue;
    const block = Number(row.block);
    const pagesPerRange = Math.max(1, Math.floor(aboveBytes / 2 / block));
    const pages = Math.ceil(bytes / block);
    plan.set(row.oid, { pages, ranges: pageRanges(pages, pagesPerRange) });
  }
  return plan;
}

/** Ranges of `pagesPerRange` pages from page 0 covering `pages`, the last one open. */
export function pageRanges(pages: number, pagesPerRange: number): PageRange[] {
  const ranges: PageRange[] = [];
  for (let first = 0; first === 0 || first < pages; first += pagesPerRange) {
    ranges.push({ first, end: first + pagesPerRange });
  }
  ranges[ranges.length - 1]!.end = null;
  return ranges;
}

/** The `WHERE` condition that reads `range` by a TID range scan. */
export function pageRangeCondition(range: PageRange): string {
  const from = range.first > 0 ? `ctid >= '(${range.first},0)'::tid` : '';
  const to = range.end === null ? '' : `ctid < '(${range.end},0)'::tid`;
  return [from, to].filter(Boolean).join(' AND ') || 'true';
}

/** `total` bytes shared out over the ranges by their pages (the last one takes what is left). */
export function shareByPages(split: TableSplit, total: number): number[] {
  const shares = split.ranges.map((r) =>
    Math.round((total * (Math.min(r.end ?? split.pages, split.pages) - r.first)) / Math.max(1, split.pages)),
  );
  shares[shares.length - 1] = Math.max(0, total - shares.slice(0, -1).reduce((sum, n) => sum + n, 0));
  return shares;
}
