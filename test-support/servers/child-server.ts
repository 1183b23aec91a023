import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { serversFile } from './resolve-package.js';
import type { Interruptible } from './tcp-relay.js';

export interface ChildServerSpec {
  /** For error messages, e.g. `azurite`. */
  name: string;
  /** Arguments to this Node binary, the script first. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The port the server binds on 127.0.0.1. */
  port: number;
  /** Resolves true once the server answers; by default any HTTP response to `GET /`. */
  ready?: (port: number) => Promise<boolean>;
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
// A test process that dies without its afterAll must not leave servers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function answersHttp(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * A storage server running as a separate Node process (so the test process's memory is the
 * driver's alone), on a fixed port so that it can be stopped and started again mid-test.
 */
export class ChildServer implements Interruptible {
  readonly #spec: ChildServerSpec;
  #child: ChildProcess | undefined;
  #output = '';
  #exited: Promise<void> = Promise.resolve();

  private constructor(spec: ChildServerSpec) {
    this.#spec = spec;
  }

  /**
   * Spawns the server and waits until it answers.
   * @throws Error (with the server's last output) when it exits early or does not answer in time.
   */
  static async start(spec: ChildServerSpec): Promise<ChildServer> {
    const server = new ChildServer(spec);
    await server.#launch();
    return server;
  }

  get name(): string {
    return this.#spec.name;
  }

  get port(): number {
    return this.#spec.port;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The last few KiB the server printed. */
  get output(): string {
    return this.#output;
  }

  /** Stops the server gracefully (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.#terminate('SIGTERM');
  }

  /** Kills the server at once, as a crash or a pulled cable would. */
  async kill(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  /** Starts the server again on the same port with the same arguments (and data directory). */
  async restart(): Promise<void> {
    if (this.#child) await this.stop();
    await this.#launch();
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.#exited;
    clearTimeout(escalate);
  }

  async #launch(): Promise<void> {
    const { name, args, env, port } = this.#spec;
    const child = spawn(process.execPath, ['--require', serversFile('orphan-guard.cjs'), ...args], {
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    live.add(child);
    const keep = (data: Buffer) => {
      this.#output = (this.#output + data.toString('utf8')).slice(-4_096);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exitCode: number | string | null | undefined;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = code ?? signal;
        live.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
      child.once('error', (error) => {
        this.#output += `\n${String(error)}`;
      });
    });
    const ready = this.#spec.ready ?? answersHttp;
    const deadline = Date.now() + (this.#spec.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`${name} exited (${exitCode}) before it answered on port ${port}:\n${this.#output}`);
      }
      if (await ready(port)) return;
      await sleep(100);
    }
    await this.kill();
    throw new Error(`${name} did not answer on port ${port} within the start timeout:\n${this.#output}`);
  }
}
