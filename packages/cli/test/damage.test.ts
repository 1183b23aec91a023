import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const buckets = await readdir(path.join(repoDir, 'chunks'));
    const first = path.join(repoDir, 'chunks', buckets[0]!);
    const [chunk] = await readdir(first);
    await writeFile(path.join(first, chunk!), 'not a chunk any more');

    const verified = await cli(['verify', made.backup_id, '-r', repo], { env });
    expect(verified.code).toBe(EXIT.integrity);
    expect(verified.stdout).toContain(`damaged: `);
    expect(verified.stdout).toContain(chunk!);
    expect(verified.stderr).toMatch(/^backupkit: Verification of backup_\w+ failed: .*\n$/);
    const checked = await cli(['check', '-r', repo, '--json'], { env });
    expect(checked.code).toBe(EXIT.integrity);
    expect(JSON.parse(checked.stdout)).toMatchObject({ status: 'failed', backups: 1, passed: 0 });
  });
});
