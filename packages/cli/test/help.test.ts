import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const VERBS = [
  ['snapshots'],
  ['ls'],
  ['backup'],
  ['restore'],
  ['verify'],
  ['check'],
  ['forget'],
  ['prune'],
  ['key', 'list'],
  ['key', 'add'],
  ['catalog', 'rebuild'],
];

describe('--help', () => {
  it('lists every verb, the destinations, the environment and the exit codes', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const [verb] of VERBS) expect(result.stdout).toContain(`\n  ${verb}`);
    expect(result.stdout).toContain('s3://bucket/prefix');
    expect(result.stdout).toContain('BACKUPKIT_KEYS');
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*130 +cancelled/);
  });

  it.each(VERBS)('%s %s has examples and the exit codes', async (...verb) => {
    const result = await cli([...verb.filter(Boolean), '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: backupkit /);
    expect(result.stdout).toMatch(/Examples?:|Not implemented/);
    expect(result.stdout).toContain('Exit codes:');
  });

  it('--version prints the version', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
