// @backupkit/cli: the `backupkit` command, also callable in-process.
export { type ParsedDestination, parseDestinationUrl } from './destination-url.js';
export { EXIT, type ExitCode, exitCodeOf } from './exit-codes.js';
export type { CliIo, OutputStream } from './io.js';
export { run } from './run.js';
