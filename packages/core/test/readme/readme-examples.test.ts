import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// Every TypeScript example of the packages' READMEs is a region of a file in that package's
// test/readme/ directory, between `// README:begin` and `// README:end`, which `pnpm typecheck`
// compiles (strict). This test keeps the READMEs and those files identical.

const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core', 'storage-s3', 'storage-azure', 'storage-gcs', 'http-adapter'];

async function checkedRegions(pkg: string): Promise<string[]> {
  const dir = path.join(packagesDir, pkg, 'test', 'readme');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  const regions: string[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dir, name), 'utf8');
    for (const match of text.matchAll(/\/\/ README:begin\n([\s\S]*?)\/\/ README:end\n/g)) {
      regions.push(match[1]!.trimEnd());
    }
  }
  return regions;
}

test.each(PACKAGES)('every ts example of packages/%s/README.md is type-checked', async (pkg) => {
  const readme = await readFile(path.join(packagesDir, pkg, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!.trimEnd());
  const regions = await checkedRegions(pkg);
  expect(blocks.length).toBeGreaterThan(0);
  for (const block of blocks) expect(regions).toContain(block);
  // Examples use the typed API as it is: no casts.
  for (const block of blocks) expect(block).not.toMatch(/\bas (string|number|unknown|any|[A-Z]\w*)\b/);
});
