import { Command, CommanderError } from 'commander';
import { CommandContext, type GlobalOptions } from './command-context.js';
import { addBackup } from './commands/backup.js';
import { addCatalog } from './commands/catalog.js';
import { addCheck } from './commands/check.js';
import { addForget } from './commands/forget.js';
import { addKey } from './commands/key.js';
import { addLs } from './commands/ls.js';
import { addPrune } from './commands/prune.js';
import { addRepair } from './commands/repair.js';
import { addRestore } from './commands/restore.js';
import { addSnapshots } from './commands/snapshots.js';
import { addVerify } from './commands/verify.js';
import { DESTINATION_HELP } from './destination-url.js';
import { errorLine, secretsOf } from './error-line.js';
import { EXIT, EXIT_CODE_HELP } from './exit-codes.js';
import type { CliIo } from './io.js';
import { VERSION } from './version.js';

const ENVIRONMENT_HELP = `Environment:
  BACKUPKIT_REPOSITORY   the repository URL when --repo is not given
  BACKUPKIT_KEYS         master keys: key_id:base64-of-32-bytes, comma separated (or --key-file)`;

/** Commander's own outcomes that are not failures. */
const NOT_FAILURES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Runs `backupkit` with `argv` (the arguments after the program name) and returns the exit code.
 * Never throws: every failure is one line on `io.stderr` (a JSON object with `--json`).
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return NOT_FAILURES.has(error.code) ? EXIT.ok : EXIT.usage;
    const { line, code } = errorLine(error, secretsOf(argv, io.env), io.signal.aborted);
    const errorCode = (error as { code?: unknown }).code;
    io.stderr.write(
      json
        ? `${JSON.stringify({ error: { code: typeof errorCode === 'string' ? errorCode : 'internal_error', message: line, exit_code: code } })}\n`
        : `backupkit: ${line}\n`,
    );
    if (io.env.BACKUPKIT_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return code;
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command('backupkit');
  // Set before the verbs are added: subcommands inherit these settings.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`backupkit: ${text.replace(/\s*\n\s*/g, ' ').trim()}\n`),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .version(VERSION)
    .description('Back up, list, verify and restore backupkit repositories from storage alone')
    .option('-r, --repo <url>', 'the repository (destination URL); default BACKUPKIT_REPOSITORY')
    .option(
      '--json',
      'machine-readable output: one JSON document on stdout, progress as JSON lines on stderr',
    )
    .option('--key-file <path>', 'master keys from this file instead of BACKUPKIT_KEYS')
    .option('--endpoint <url>', 'storage endpoint (S3-compatible stores, Azurite, GCS emulators)')
    .option('--region <region>', 'S3 region')
    .option('--path-style', 'S3 path-style addressing');
  const contextOf = (command: Command) => new CommandContext(io, command.optsWithGlobals<GlobalOptions>());
  for (const add of [
    addSnapshots,
    addLs,
    addBackup,
    addRestore,
    addVerify,
    addCheck,
    addForget,
    addPrune,
    addRepair,
    addKey,
    addCatalog,
  ]) {
    add(program, contextOf);
  }
  program.addHelpText('after', `\n${DESTINATION_HELP}\n\n${ENVIRONMENT_HELP}\n\n${EXIT_CODE_HELP}`);
  for (const command of allCommands(program)) command.addHelpText('after', `\n${EXIT_CODE_HELP}`);
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
