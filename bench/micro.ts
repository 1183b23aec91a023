// `pnpm bench:micro`: throughput of each hot-path stage on COPY-like text, one thread.
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { ChunkBufferPool, ChunkCutter, compressBuffer, DEFAULT_CHUNKER_PARAMS } from '@backupkit/core';

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

// Two rates: per wall second, and per CPU-second of the whole process (what a backup on a busy
// machine pays; wall rates swing with other load).
function report(name: string, bytes: number, wallStart: bigint, cpuStart: NodeJS.CpuUsage): void {
  const seconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mb = bytes / 1e6;
  console.log(
    `${name.padEnd(30)}${(mb / seconds).toFixed(0).padStart(8)} MB/s${(mb / cpuSeconds).toFixed(0).padStart(8)} MB/cpu-s`,
  );
}

function rate(name: string, bytes: number, fn: () => void): void {
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  fn();
  report(name, bytes, wallStart, cpuStart);
}

async function rateAsync(name: string, bytes: number, fn: () => Promise<void>): Promise<void> {
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await fn();
  report(name, bytes, wallStart, cpuStart);
}

// As a backup cuts: into pooled shared slots, each released once consumed; the boundary scan in
// WebAssembly (in place in the pool's memory) or in JavaScript (the reference).
for (const webAssembly of [true, false]) {
  const pool = new ChunkBufferPool(DEFAULT_CHUNKER_PARAMS.maxSize + 64, 4, { webAssembly });
  rate(`chunker (pooled, ${webAssembly ? 'wasm' : 'js'} scan)`, SIZE, () => {
    const cutter = new ChunkCutter(DEFAULT_CHUNKER_PARAMS, pool);
    const release = (cut: Buffer[]) => {
      for (const c of cut) pool.release(pool.slotOf(c));
    };
    for (let o = 0; o < SIZE; o += 64 * 1024) release(cutter.push(text.subarray(o, o + 64 * 1024)));
    release(cutter.finishAll());
  });
}
const chunks: Buffer[] = [];
rate('chunker (chunks copied out)', SIZE, () => {
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
