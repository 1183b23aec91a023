import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/run.js';

/** What one run of the CLI printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKSPACE = path.resolve(here, '../../../..');
const MAIN = path.resolve(here, '../../src/main.ts');

/** The node arguments that run the `backupkit` bin from sources, through tsx. */
export const CLI_NODE_ARGS = ['--import', 'tsx', MAIN];

/** Runs the CLI in this process, as `backupkit argv…` with its own streams (never a terminal). */
export async function cli(argv: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env: { BACKUPKIT_PROGRESS_INTERVAL_MS: '0', ...options.env },
    cwd: options.cwd ?? WORKSPACE,
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** `cli(…)` that must succeed; returns its stdout parsed as the one JSON document. */
export async function cliJson<T = Record<string, unknown>>(
  argv: string[],
  options: CliOptions = {},
): Promise<T> {
  const result = await cli([...argv, '--json'], options);
  if (result.code !== 0)
    throw new Error(`backupkit ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Starts the CLI as a real process (stdin ignored, output piped). */
export function spawnCli(argv: string[], options: { env?: Record<string, string | undefined> } = {}) {
  return spawn(process.execPath, [...CLI_NODE_ARGS, ...argv], {
    cwd: WORKSPACE,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the CLI as a real process to its end. */
export function cliProcess(
  argv: string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(argv, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
