import { spawn } from 'node:child_process';

export interface Measurement {
  wallSeconds: number;
  peakRssMiB: number;
  /** User + system CPU seconds of the command's process tree (not the database server's). */
  cpuSeconds: number;
  stdout: string;
}

/**
 * Runs a command under GNU time (the same RSS measure for pg_dump and for backupkit) and
 * returns wall time and peak resident memory of the command's process tree's largest member.
 */
export async function measure(
  command: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Measurement> {
  const started = process.hrtime.bigint();
  const child = spawn(
    '/usr/bin/time',
    ['-f', '__PEAK_RSS_KB__=%M __CPU__=%U %S', 'bash', '-o', 'pipefail', '-c', command],
    {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`benchmark command failed (${code}): ${command}\n${stderr.slice(-2000)}`);
  const match = /__PEAK_RSS_KB__=(\d+)/.exec(stderr);
  const cpu = /__CPU__=([\d.]+) ([\d.]+)/.exec(stderr);
  return {
    wallSeconds,
    peakRssMiB: match ? Number(match[1]) / 1024 : Number.NaN,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
    stdout,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
