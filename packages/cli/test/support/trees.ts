import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A small tree with what a directory backup must carry: nesting, binary and empty files, a symlink. */
export async function writeSampleTree(root: string, seed = 'a'): Promise<void> {
  await mkdir(path.join(root, 'docs', 'nested'), { recursive: true });
  await mkdir(path.join(root, 'empty-dir'), { recursive: true });
  await writeFile(path.join(root, 'random.bin'), randomBytes(1_500_000));
  await writeFile(path.join(root, 'docs', 'readme.txt'), `hello ${seed}\n`.repeat(1000));
  await writeFile(path.join(root, 'docs', 'nested', 'empty.txt'), '');
  await writeFile(path.join(root, 'docs', 'nested', 'data.csv'), 'id,name\n1,a\n2,b\n');
  await symlink('docs/readme.txt', path.join(root, 'link-to-readme'));
}

/** Every path under `root` with its kind, mode and content digest (or link target). */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const info = await lstat(full);
      if (info.isSymbolicLink()) out[rel] = `link ${await readlink(full)}`;
      else if (info.isDirectory()) {
        out[rel] = `dir ${(info.mode & 0o777).toString(8)}`;
        await walk(full);
      } else {
        const digest = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
        out[rel] = `file ${(info.mode & 0o777).toString(8)} ${info.size} ${digest}`;
      }
    }
  };
  await walk(root);
  return out;
}
