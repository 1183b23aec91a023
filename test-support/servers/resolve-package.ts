import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The installed directory of `dependency`, a dev dependency of the workspace package at
 * `packageDir` (e.g. `packages/storage-s3`): each emulator belongs to the driver package that
 * tests against it, not to the repo root. Read from `node_modules` directly because some
 * emulators (fauxqs) do not export their `package.json`.
 * @throws Error when the package is not installed (run `pnpm install`).
 */
export function packageDirectory(packageDir: string, dependency: string): string {
  const link = path.join(repoRoot, packageDir, 'node_modules', dependency);
  try {
    return fs.realpathSync(link);
  } catch (error) {
    throw new Error(`${dependency} is not installed for ${packageDir} (run pnpm install)`, { cause: error });
  }
}

/** The file a package's `bin` entry points at, to run with this Node binary. */
export function packageBin(packageDir: string, dependency: string, bin: string): string {
  const directory = packageDirectory(packageDir, dependency);
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const entry = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
  if (entry === undefined) throw new Error(`${dependency} has no bin named ${bin}`);
  return path.join(directory, entry);
}

/** Absolute path of a file inside test-support/servers. */
export function serversFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}
