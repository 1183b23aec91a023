import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** relative path → { sha256, size } for every regular file under `root` (streamed, not buffered). */
export async function digestTree(root: string): Promise<Map<string, { sha256: string; size: number }>> {
  const out = new Map<string, { sha256: string; size: number }>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const { size } = await stat(absolute);
    out.set(path.relative(root, absolute).split(path.sep).join('/'), {
      sha256: await sha256(absolute),
      size,
    });
  }
  return out;
}

/** Names of files that differ, are missing, or are extra in `restored`. */
export function compareTrees(
  original: Map<string, { sha256: string }>,
  restored: Map<string, { sha256: string }>,
): string[] {
  const problems: string[] = [];
  for (const [name, file] of original) {
    const copy = restored.get(name);
    if (!copy) problems.push(`missing: ${name}`);
    else if (copy.sha256 !== file.sha256) problems.push(`different: ${name}`);
  }
  for (const name of restored.keys()) if (!original.has(name)) problems.push(`extra: ${name}`);
  return problems;
}
