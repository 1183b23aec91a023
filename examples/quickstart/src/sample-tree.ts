import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Deterministic-looking text that compresses like real logs and CSV exports do. */
function logLines(seed: number, lines: number): string {
  const levels = ['INFO', 'WARN', 'DEBUG', 'ERROR'];
  let out = '';
  for (let i = 0; i < lines; i++) {
    const t = new Date(Date.UTC(2024, 0, 15, 0, 0, 0) + (seed * 7919 + i) * 1000).toISOString();
    out += `${t} ${levels[(seed + i) % 4]} worker-${(seed * 31 + i) % 16} request ${seed * 100_000 + i} took ${(i * 37) % 997}ms\n`;
  }
  return out;
}

function csvRows(seed: number, rows: number): string {
  let out = 'id,customer,amount,currency,status\n';
  for (let i = 0; i < rows; i++) {
    out += `${seed * 10_000 + i},customer_${(seed + i * 13) % 5000},${((i * 7919) % 100_000) / 100},CAD,${i % 9 === 0 ? 'refunded' : 'paid'}\n`;
  }
  return out;
}

/**
 * Writes a sample tree: logs and CSV exports (compressible), photos (random bytes, not
 * compressible) and a duplicated directory (deduplicated). Returns the number of files.
 */
export async function createSampleTree(root: string): Promise<number> {
  let files = 0;
  const write = async (relative: string, body: string | Buffer) => {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
    files++;
  };
  for (let i = 0; i < 120; i++)
    await write(
      `logs/2024-01-${String((i % 28) + 1).padStart(2, '0')}/app-${i}.log`,
      logLines(i, 400 + (i % 7) * 150),
    );
  for (let i = 0; i < 80; i++) await write(`exports/orders-${i}.csv`, csvRows(i, 600 + (i % 5) * 300));
  for (let i = 0; i < 40; i++) await write(`photos/IMG_${1000 + i}.jpg`, randomBytes(48 * 1024 + i * 4096));
  for (let i = 0; i < 40; i++)
    await write(
      `config/service-${i}.json`,
      `${JSON.stringify({ id: i, replicas: i % 5, tags: ['a', 'b', `t${i}`] }, null, 2)}\n`,
    );
  // The same exports again under another name: content-defined chunks make these nearly free.
  for (let i = 0; i < 40; i++)
    await write(`archive/exports-copy/orders-${i}.csv`, csvRows(i, 600 + (i % 5) * 300));
  return files;
}
