/** A stream the CLI writes to: a terminal (with its width) or a pipe. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Everything a run touches outside its arguments, so tests run the CLI in-process with their
 * own streams, environment and cancellation.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Fires on Ctrl-C: the running verb stops, releases its locks and commits nothing. */
  signal: AbortSignal;
}
