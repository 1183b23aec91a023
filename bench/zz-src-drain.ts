import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPostgresSource } from '@backupkit/core';

const url = process.argv[2]!;
const t = Date.now();
const plan = await createPostgresSource({ connection_string: url, max_parallel_jobs: 2 }).open({
  signal: new AbortController().signal,
  parent: null,
  full: true,
});
const entries = [];
for await (const e of plan.entries) entries.push(e);
let total = 0;
let i = 0;
await Promise.all(
  Array.from({ length: plan.parallelism }, async () => {
    while (i < entries.length) {
      const e = entries[i++]!;
      await pipeline(
        await e.open!(new AbortController().signal),
        new Writable({
          write(c: Buffer, _e, cb) {
            total += c.length;
            cb();
          },
        }),
      );
      console.log(e.name, e.completeMetadata?.());
    }
  }),
);
await plan.close();
console.log('source drain', total, 'bytes', (Date.now() - t) / 1000, 's', 'estimated', plan.estimatedBytes);
