import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';

/** Builds a verb's context from its parsed command (global options included). */
export type ContextOf = (command: Command) => CommandContext;
