// The read limit of backupkit's own PostgreSQL source: the same snapshot, catalog capture and
// COPY path a backup uses, N tables at once, bytes discarded. What the backup's pipeline can at
// best approach (bench/read-limit.mjs is the same through pg-copy-streams, for reference).
import { createPostgresSource } from '@backupkit/core';

const url = process.argv[2] ?? process.env.BENCH_DB_URL;
const connections = Number(process.argv[3] ?? 2);
if (!url) throw new Error('usage: source-read.mjs <database url> [connections]');

const started = performance.now();
const signal = new AbortController().signal;
const source = createPostgresSource({ connection_string: url, max_parallel_jobs: connections });
const plan = await source.open({ signal, parent: null, full: true });
const queue = [];
for await (const entry of plan.entries) queue.push(entry);
let total = 0;
async function reader() {
  for (let entry = queue.shift(); entry; entry = queue.shift()) {
    if (!entry.open) continue;
    for await (const piece of await entry.open(signal)) total += piece.length;
  }
}
try {
  await Promise.all(Array.from({ length: connections }, reader));
} finally {
  await plan.close();
}
process.stdout.write(`${JSON.stringify({ bytes: total, seconds: (performance.now() - started) / 1000 })}\n`);
