import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/servers/index.js';
import { EXIT } from '../src/exit-codes.js';
import { type CliResult, cli, cliJson, cliProcess } from './support/cli.js';
import { freshKeys } from './support/keys.js';
import { describeTree, writeSampleTree } from './support/trees.js';

/** One clear line on stderr: no stack trace, no second line. */
function expectOneLine(result: CliResult, code: number, message: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(/^backupkit: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

describe('bad input: one line on stderr, a documented exit code, nothing changed', () => {
  let scratch: string;
  let repoDir: string;
  let repo: string;
  let source: string;
  let backupId: string;
  const keys = freshKeys('k1');
  let before: Record<string, string>;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-bad-'));
    source = path.join(scratch, 'source');
    await writeSampleTree(source);
    repoDir = path.join(scratch, 'repo');
    repo = pathToFileURL(repoDir).href;
    ({ backup_id: backupId } = await cliJson<{ backup_id: string }>(
      ['backup', source, '--to', repo, '--encryption-key', 'k1', '--compression', 'gzip'],
      { env: { BACKUPKIT_KEYS: keys } },
    ));
    before = await describeTree(repoDir);
  });
  afterAll(async () => {
    expect(await describeTree(repoDir)).toEqual(before);
    await rm(scratch, { recursive: true, force: true });
  });

  it('an unknown verb, from a real process: exit 2 and one line', async () => {
    const result = await cliProcess(['snapshot', repo]);
    expectOneLine(result, EXIT.usage, /unknown command 'snapshot'.*snapshots/);
  });

  it('an unknown flag, a missing argument, an excess argument: exit 2', async () => {
    expectOneLine(await cli(['snapshots', repo, '--colour']), EXIT.usage, /unknown option '--colour'/);
    expectOneLine(
      await cli(['restore', backupId, '-r', repo]),
      EXIT.usage,
      /required option '--to <target>'/,
    );
    expectOneLine(await cli(['ls', 'a', 'b', '-r', repo]), EXIT.usage, /too many arguments/);
    expectOneLine(await cli(['backup', source, '--to', repo, '--compression', 'lz4']), EXIT.usage, /lz4/);
  });

  it('malformed or unsupported URLs: exit 2', async () => {
    expectOneLine(await cli(['snapshots', 'not a url']), EXIT.usage, /Not a destination URL/);
    expectOneLine(
      await cli(['snapshots', 'ftp://host/x']),
      EXIT.usage,
      /Unsupported destination scheme "ftp:"/,
    );
    expectOneLine(
      await cli(['snapshots', 's3://bucket/x?colour=red']),
      EXIT.usage,
      /Unknown parameter "colour"/,
    );
    expectOneLine(await cli(['snapshots']), EXIT.usage, /No repository/);
    const withSecret = await cli(['snapshots', 's3://AKIA:verysecretvalue@bucket/x']);
    expectOneLine(withSecret, EXIT.usage, /Credentials do not belong in the destination URL/);
    expect(withSecret.stderr).not.toContain('verysecretvalue');
    expectOneLine(
      await cli(['backup', 'postgresql://u:pw@[bad', '--to', repo]),
      EXIT.usage,
      /Not a PostgreSQL URL/,
    );
  });

  it('a missing key: exit 4, and a backup under a key that is not configured writes nothing', async () => {
    expectOneLine(await cli(['snapshots', repo], { env: { BACKUPKIT_KEYS: '' } }), EXIT.key, /master key/i);
    const fresh = path.join(scratch, 'never-created');
    expectOneLine(
      await cli(['backup', source, '--to', pathToFileURL(fresh).href, '--encryption-key', 'k9'], {
        env: { BACKUPKIT_KEYS: keys },
      }),
      EXIT.key,
      /No master key "k9"/,
    );
    expect(await describeTree(scratch)).not.toHaveProperty('never-created');
    expectOneLine(
      await cli(['snapshots', repo, '--key-file', path.join(scratch, 'no-such-file')]),
      EXIT.notFound,
      /Cannot read the key file/,
    );
    const malformed = await cli(['snapshots', repo], { env: { BACKUPKIT_KEYS: 'k1:c2hvcnQ=' } });
    expectOneLine(malformed, EXIT.usage, /base64 of exactly 32 bytes/);
  });

  it('a wrong key: exit 4 for reading, restoring and backing up, and nothing is written', async () => {
    const env = { BACKUPKIT_KEYS: freshKeys('k1') };
    expectOneLine(await cli(['snapshots', repo], { env }), EXIT.key, /does not decrypt with master key "k1"/);
    const target = path.join(scratch, 'wrong-key-restore');
    expectOneLine(await cli(['restore', backupId, '--to', target, '-r', repo], { env }), EXIT.key, /"k1"/);
    expect(await describeTree(scratch)).not.toHaveProperty('wrong-key-restore');
    expectOneLine(
      await cli(['backup', source, '--to', repo, '--encryption-key', 'k1'], { env }),
      EXIT.key,
      /does not decrypt/,
    );
  });

  it('a backup id that does not exist: exit 3; a malformed one: exit 2', async () => {
    const env = { BACKUPKIT_KEYS: keys };
    expectOneLine(
      await cli(['ls', 'backup_00000000000000000000000000000000', '-r', repo], { env }),
      EXIT.notFound,
      /Backup backup_0+ is not in the repository/,
    );
    const target = path.join(scratch, 'missing-backup-restore');
    expectOneLine(
      await cli(['restore', 'backup_nope', '--to', target, '-r', repo], { env }),
      EXIT.notFound,
      /not in the repository/,
    );
    expect(await describeTree(scratch)).not.toHaveProperty('missing-backup-restore');
    expectOneLine(
      await cli(['restore', backupId, '--to', target, '--path', 'no/such/path', '-r', repo], { env }),
      EXIT.notFound,
      /Nothing in the backup matches the selection/,
    );
    expect(await describeTree(scratch)).not.toHaveProperty('missing-backup-restore');
    expectOneLine(
      await cli(['verify', '../../etc/passwd', '-r', repo], { env }),
      EXIT.usage,
      /Invalid backup id/,
    );
  });

  it('an unreachable destination: exit 6; a directory without a repository: exit 3', async () => {
    const port = await freePort();
    const unreachable = `s3://bucket/x?endpoint=http://127.0.0.1:${port}&path_style=true`;
    // The AWS SDK reads its credentials from the process environment, as it does for the bin.
    process.env.AWS_ACCESS_KEY_ID = 'x';
    process.env.AWS_SECRET_ACCESS_KEY = 'y';
    const result = await cli(['snapshots', unreachable]);
    expectOneLine(result, EXIT.unreachable, /S3 get of s3:\/\/bucket\/x\/repo.json failed: ECONNREFUSED/);
    expectOneLine(
      await cli(['snapshots', pathToFileURL(path.join(scratch, 'nothing-here')).href]),
      EXIT.notFound,
      /No backup repository at/,
    );
    expect(await describeTree(scratch)).not.toHaveProperty('nothing-here');
  });

  it('a database that refuses: one line without the password', async () => {
    const result = await cli(
      ['backup', 'postgresql://postgres:Sup3rSecretPw@127.0.0.1:5432/bk_no_such_database', '--to', repo],
      { env: { BACKUPKIT_KEYS: keys } },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^backupkit: [^\n]+\n$/);
    expect(result.stderr).not.toContain('Sup3rSecretPw');
  });

  it('--json failures are one JSON line with the code and the exit code', async () => {
    const result = await cli(['ls', 'backup_nope', '-r', repo, '--json'], { env: { BACKUPKIT_KEYS: keys } });
    expect(result.code).toBe(EXIT.notFound);
    expect(JSON.parse(result.stderr)).toEqual({
      error: { code: 'backup_not_found', message: expect.any(String), exit_code: 3 },
    });
  });
});
