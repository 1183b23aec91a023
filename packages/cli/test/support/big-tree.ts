import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Enough incompressible bytes that a backup of them takes a noticeable moment (`mib` MiB). */
export async function writeBigTree(root: string, mib: number): Promise<void> {
  await mkdir(root, { recursive: true });
  const files = Math.max(1, Math.ceil(mib / 8));
  for (let i = 0; i < files; i++) {
    await writeFile(path.join(root, `blob-${i}.bin`), randomBytes(Math.ceil((mib * 1024 * 1024) / files)));
  }
}
