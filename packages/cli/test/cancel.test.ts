import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStorageDriver, listLiveLocks } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { writeBigTree } from './support/big-tree.js';
import { cliJson, spawnCli } from './support/cli.js';
import { freshKeys } from './support/keys.js';

describe('Ctrl-C', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-cancel-'));
    await writeBigTree(path.join(scratch, 'source'), 48);
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('SIGINT mid-backup exits 130 with no backup committed and no lock left', async () => {
    const repoDir = path.join(scratch, 'repo');
    const repo = pathToFileURL(repoDir).href;
    const env = { BACKUPKIT_KEYS: freshKeys('k1'), BACKUPKIT_PROGRESS_INTERVAL_MS: '0' };
    const child = spawnCli(
      [
        'backup',
        path.join(scratch, 'source'),
        '--to',
        repo,
        '--encryption-key',
        'k1',
        '--compression',
        'gzip',
        '--compression-level',
        '9',
      ],
      { env },
    );
    let stdout = '';
    let stderr = '';
    let interruptedAt: string | null = null;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      // Interrupt once bytes are flowing, before the end.
      const moving = [...text.matchAll(/backup: (\d+)% /g)].find(
        (m) => Number(m[1]) > 0 && Number(m[1]) < 100,
      );
      if (interruptedAt === null && moving) {
        interruptedAt = moving[0];
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(interruptedAt).not.toBeNull();
    expect(code).toBe(EXIT.cancelled);
    expect(stderr).toBe(
      'backupkit: cancelled: nothing was committed and the repository locks were released\n',
    );
    expect(stdout).not.toMatch(/backup: 100%/);

    const listed = await cliJson<{ backups: unknown[] }>(['snapshots', repo], { env });
    expect(listed.backups).toEqual([]);
    expect(await listLiveLocks(new LocalStorageDriver({ root: repoDir }), new Date())).toEqual([]);
  });
});
