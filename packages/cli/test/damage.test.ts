import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalKeyProvider } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOnDisk, storedChunkIds } from '../../../test-support/chunk-blobs.js';
import { EXIT } from '../src/exit-codes.js';
import { cli, cliJson } from './support/cli.js';
import { freshKeys } from './support/keys.js';
import { writeSampleTree } from './support/trees.js';

describe('verify and check on a damaged repository', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-damage-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('exit 5 and name the damaged chunk', async () => {
    const env = { BACKUPKIT_KEYS: freshKeys('k1') };
    const source = path.join(scratch, 'source');
    await writeSampleTree(source);
    const repoDir = path.join(scratch, 'repo');
    const repo = pathToFileURL(repoDir).href;
    const made = await cliJson<{ backup_id: string }>(
      ['backup', source, '--to', repo, '--encryption-key', 'k1'],
      { env },
    );
    // A chunk's stored bytes overwritten inside its pack (the pack's size and header unchanged).
    const keys = LocalKeyProvider.fromEnv(env.BACKUPKIT_KEYS);
    const [chunk] = [...(await storedChunkIds(repoDir, keys))].sort();
    const blob = await blobOnDisk(repoDir, chunk!, keys);
    const pack = path.basename(blob.file);
    const bytes = await readFile(blob.file);
    bytes.fill('not a chunk any more', blob.offset, blob.offset + blob.length);
    await writeFile(blob.file, bytes);

    const verified = await cli(['verify', made.backup_id, '-r', repo], { env });
    expect(verified.code).toBe(EXIT.integrity);
    expect(verified.stdout).toContain(`damaged: `);
    expect(verified.stdout).toContain(chunk!);
    // The damaged object named is the pack holding the chunk.
    expect(verified.stdout).toMatch(new RegExp(`damaged: \\S*${pack} `));
    expect(verified.stderr).toMatch(/^backupkit: Verification of backup_\w+ failed: .*\n$/);
    const checked = await cli(['check', '-r', repo, '--json'], { env });
    expect(checked.code).toBe(EXIT.integrity);
    expect(JSON.parse(checked.stdout)).toMatchObject({ status: 'failed', backups: 1, passed: 0 });
  });
});
