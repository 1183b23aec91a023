import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigTree } from './support/big-tree.js';
import { CLI_NODE_ARGS, cli, cliProcess, WORKSPACE } from './support/cli.js';
import { freshKeys } from './support/keys.js';

const BAR = /backup \|[█░]+\| +(\d+)% \| ([\d.]+ \w+) \/ ([\d.]+ \w+) \| [\d.]+ \w+\/s \| ETA \S+/;
/** Anything but printable text, newlines and tabs: cursor moves, colours, carriage returns. */
function controlCharacters(text: string): string[] {
  return [...text].filter((c) => {
    const code = c.codePointAt(0)!;
    return (code < 0x20 && c !== '\n' && c !== '\t') || code === 0x7f || code === 0x9b;
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('progress display', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bk-cli-progress-'));
    await writeBigTree(path.join(scratch, 'source'), 24);
    await writeBigTree(path.join(scratch, 'small'), 4);
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('in a real terminal (tmux): a bar that renders, updates and ends at 100%', async () => {
    const socket = `bk-cli-${randomBytes(4).toString('hex')}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const repo = pathToFileURL(path.join(scratch, 'tty-repo')).href;
    const command = [
      `cd ${quote(WORKSPACE)} &&`,
      `env BACKUPKIT_KEYS=${quote(freshKeys('k1'))}`,
      quote(process.execPath),
      ...CLI_NODE_ARGS.map(quote),
      'backup',
      quote(path.join(scratch, 'source')),
      '--to',
      quote(repo),
      '--encryption-key k1 --compression gzip --compression-level 9;',
      'echo EXIT=$?; sleep 120',
    ].join(' ');
    const started = tmux('new-session', '-d', '-x', '120', '-y', '30', '-s', 'bk', command);
    expect(started.status, started.stderr).toBe(0);
    try {
      const percents = new Set<number>();
      let pane = '';
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        pane = tmux('capture-pane', '-p', '-t', 'bk').stdout;
        const bar = BAR.exec(pane);
        if (bar) percents.add(Number(bar[1]));
        if (pane.includes('EXIT=')) break;
        await sleep(40);
      }
      expect(pane).toContain('EXIT=0');
      // Rendered in place: one bar line, at 100%, its bytes done equal to the total.
      const bars = pane.split('\n').filter((line) => BAR.test(line));
      expect(bars).toHaveLength(1);
      const final = BAR.exec(bars[0]!)!;
      expect(final[1]).toBe('100');
      expect(final[2]).toBe(final[3]);
      expect(bars[0]).toContain('ETA 0s');
      expect(pane).toMatch(/Backup backup_[0-9a-f]{32} \(full\)/);
      // It moved: seen below 100% before it got there.
      expect([...percents].some((p) => p < 100)).toBe(true);
      expect(percents.has(100)).toBe(true);
      expect(bars[0]!.length).toBeLessThanOrEqual(120);
    } finally {
      tmux('kill-server');
    }
  });

  it('through a pipe: plain periodic lines without control characters', async () => {
    const repo = pathToFileURL(path.join(scratch, 'pipe-repo')).href;
    const result = await cliProcess(
      [
        'backup',
        path.join(scratch, 'small'),
        '--to',
        repo,
        '--encryption-key',
        'k1',
        '--compression',
        'gzip',
      ],
      { env: { BACKUPKIT_KEYS: freshKeys('k1'), BACKUPKIT_PROGRESS_INTERVAL_MS: '100' } },
    );
    expect(result.code).toBe(0);
    expect(controlCharacters(result.stdout + result.stderr)).toEqual([]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^backup: 100% 4\.0 MiB \/ 4\.0 MiB, [\d.]+ \w+\/s, ETA 0s$/);
    expect(lines.at(-1)).toMatch(/^Backup backup_[0-9a-f]{32} \(full\)/);
  });

  it('with --json: one result document on stdout and JSON progress lines on stderr', async () => {
    const repo = pathToFileURL(path.join(scratch, 'json-repo')).href;
    const result = await cliProcess(
      ['backup', path.join(scratch, 'small'), '--to', repo, '--compression', 'none', '--json'],
      { env: { BACKUPKIT_PROGRESS_INTERVAL_MS: '50' } },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      type: 'full',
      entries: 1,
      logical_bytes: 4 * 1024 * 1024,
      encrypted: false,
    });
    const progress = result.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(progress.at(-1)).toMatchObject({ type: 'progress', operation: 'backup', percent: 100 });
  });

  it('restore, verify, check and prune report JSON progress that ends at 100%', async () => {
    const repo = pathToFileURL(path.join(scratch, 'verbs-repo')).href;
    const env = { BACKUPKIT_KEYS: freshKeys('k1') };
    const made = await cli(
      ['backup', path.join(scratch, 'small'), '--to', repo, '--encryption-key', 'k1', '--json'],
      { env },
    );
    expect(made.code, made.stderr).toBe(0);
    const verbs = [
      ['restore', 'latest', '--to', path.join(scratch, 'verbs-restored')],
      ['verify', 'latest'],
      ['check', '--read-data'],
      ['prune', '--grace', '0s'],
    ];
    for (const argv of verbs) {
      const result = await cli([...argv, '--repo', repo, '--json'], { env });
      expect(result.code, `${argv[0]}: ${result.stderr}`).toBe(0);
      JSON.parse(result.stdout);
      const progress = result.stderr
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; operation: string; percent: number });
      expect(progress.length, argv[0]).toBeGreaterThan(0);
      expect(progress.every((p) => p.type === 'progress' && p.operation === argv[0])).toBe(true);
      expect(progress.at(-1)!.percent, argv[0]).toBe(100);
    }
  });
});
