import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { cli, cliJson } from './support/cli.js';
import { freshKeys } from './support/keys.js';
import { describeTree, writeSampleTree } from './support/trees.js';

describe('repair index', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-repair-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('rebuilds a deleted index from pack headers; restores work before and after', async () => {
    const env = { BACKUPKIT_KEYS: freshKeys('k1') };
    const source = path.join(scratch, 'source');
    await writeSampleTree(source);
    const repoDir = path.join(scratch, 'repo');
    const repo = pathToFileURL(repoDir).href;
    const made = await cliJson<{ backup_id: string }>(
      ['backup', source, '--to', repo, '--encryption-key', 'k1'],
      { env },
    );
    const packs = (await readdir(path.join(repoDir, 'data'), { recursive: true })).filter((p) =>
      /[0-9a-f]{64}$/.test(p),
    );
    expect(packs.length).toBeGreaterThan(0);
    await rm(path.join(repoDir, 'index'), { recursive: true });
    // check tells: every pack is in no index (still readable), and what to run.
    const checked = await cli(['check', '-r', repo], { env });
    expect(checked.code).toBe(EXIT.ok);
    expect(checked.stdout).toContain(`${packs.length} pack(s) in no index`);
    expect(checked.stdout).toContain('backupkit repair index');

    // Readers fall back to the pack headers.
    const before = path.join(scratch, 'before');
    expect((await cli(['restore', made.backup_id, '-r', repo, '--to', before], { env })).code).toBe(EXIT.ok);
    expect(await describeTree(before)).toEqual(await describeTree(source));

    const repaired = await cliJson<{ packs_indexed: number; indexes_written: number }>(
      ['repair', 'index', '-r', repo, '--json'],
      { env },
    );
    expect(repaired).toMatchObject({ packs_indexed: packs.length, indexes_written: 1 });
    expect(await readdir(path.join(repoDir, 'index'))).toHaveLength(1);
    const text = await cli(['repair', 'index', '-r', repo], { env });
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain('Indexed 0 pack(s)');

    const after = path.join(scratch, 'after');
    expect((await cli(['restore', made.backup_id, '-r', repo, '--to', after], { env })).code).toBe(EXIT.ok);
    expect(await describeTree(after)).toEqual(await describeTree(source));
    const healthy = await cliJson<{ index: { unindexed_packs: string[]; index_objects: number } }>(
      ['check', '-r', repo, '--json'],
      { env },
    );
    expect(healthy.index).toMatchObject({ unindexed_packs: [], index_objects: 1 });
  });
});
