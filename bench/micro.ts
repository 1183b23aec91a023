// `pnpm bench:micro`: throughput of each hot-path stage on COPY-like text, one thread.
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { ChunkCutter, compressBuffer } from '@backupkit/core';

const SIZE = 256 * 1024 * 1024;
const text = Buffer.alloc(SIZE);
// COPY-text-like bytes: rows of numbers, words and timestamps, so compressors see realistic data.
{
  let offset = 0;
  for (let i = 0; offset < SIZE; i++) {
    const row = `${i}\tuser${i}@example.com\t${(i * 7919) % 100000}.${i % 100}\t2024-01-${1 + (i % 28)} 12:${i % 60}:00+00\t{"tier": "pro", "n": ${i % 977}}\n`;
    offset += text.write(row, offset);
  }
}

function rate(name: string, bytes: number, fn: () => void): void {
  const start = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name.padEnd(28)}${(bytes / 1e6 / seconds).toFixed(0).padStart(8)} MB/s`);
}

async function rateAsync(name: string, bytes: number, fn: () => Promise<void>): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name.padEnd(28)}${(bytes / 1e6 / seconds).toFixed(0).padStart(8)} MB/s`);
}

const chunks: Buffer[] = [];
rate('chunker (FastCDC)', SIZE, () => {
  const cutter = new ChunkCutter();
  for (let o = 0; o < SIZE; o += 64 * 1024) chunks.push(...cutter.push(text.subarray(o, o + 64 * 1024)));
  chunks.push(...cutter.finishAll());
});
rate('sha-256', SIZE, () => {
  for (const c of chunks) createHash('sha256').update(c).digest();
});
const hmacKey = randomBytes(32);
rate('hmac-sha-256 (chunk id)', SIZE, () => {
  for (const c of chunks) createHmac('sha256', hmacKey).update(c).digest();
});
const key = randomBytes(32);
rate('aes-256-gcm', SIZE, () => {
  for (const c of chunks) {
    const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
    cipher.update(c);
    cipher.final();
  }
});
for (const [algorithm, level] of [
  ['zstd', 1],
  ['zstd', 3],
  ['gzip', 6],
  ['brotli', 4],
] as const) {
  await rateAsync(`${algorithm}-${level} (1 thread)`, SIZE / 4, async () => {
    for (const c of chunks.slice(0, Math.ceil(chunks.length / 4)))
      await compressBuffer(c, { algorithm, level });
  });
}
