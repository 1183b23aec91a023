// The read limit: every table COPYed to STDOUT through `pg` with N connections, bytes discarded.
// What no logical backup through the same driver can beat.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

const url = process.argv[2] ?? process.env.BENCH_DB_URL;
const connections = Number(process.argv[3] ?? 2);
if (!url) throw new Error('usage: read-limit.mjs <database url> [connections]');

const started = performance.now();
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const { rows } = await admin.query(
  `SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_table_size(c.oid) AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
    ORDER BY pg_table_size(c.oid) DESC`,
);
await admin.end();

const queue = rows.map((r) => r.name);
let total = 0;
async function worker() {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (let table = queue.shift(); table; table = queue.shift()) {
    const sink = new Writable({
      write(chunk, _enc, done) {
        total += chunk.length;
        done();
      },
    });
    await pipeline(client.query(copyTo(`COPY ${table} TO STDOUT`)), sink);
  }
  await client.end();
}
await Promise.all(Array.from({ length: connections }, worker));
process.stdout.write(`${JSON.stringify({ bytes: total, seconds: (performance.now() - started) / 1000 })}\n`);
