import { Repository, type StorageDriver } from '@backupkit/core';
import type { CommandContext } from './command-context.js';

/**
 * Opens the existing repository for reading (never writes: a missing repository is
 * `not_found`, exit 3).
 */
export async function openExistingRepository(
  context: CommandContext,
  driver: StorageDriver,
): Promise<Repository> {
  return Repository.open(driver, {
    keyProvider: await context.keys(),
    create: false,
    signal: context.signal,
  });
}
