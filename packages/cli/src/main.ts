#!/usr/bin/env node
// The `backupkit` executable: the process around run().

// The AWS SDK warns on every start that its future releases will need a newer Node: nothing an
// operator can act on mid-restore. Other warnings still print, as one line each.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const text = `${warning.name}: ${warning.message}`;
  if (!text.includes('NodeVersionSupportWarning')) {
    process.stderr.write(`backupkit: warning: ${warning.message.replace(/\s*\n\s*/g, ' ')}\n`);
  }
});

const controller = new AbortController();
// Ctrl-C cancels the running verb (it commits nothing and releases its locks); a second one
// stops the process at once.
const interrupt = () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error('interrupted'));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

// Loaded after the warning filter is in place: the SDK warns while it loads.
const { run } = await import('./run.js');
const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
// Exit now: idle worker threads and sockets of finished work must not keep the process waiting.
process.exit(code);
