import { readFile } from 'node:fs/promises';
import { BackupError, LocalKeyProvider } from '@backupkit/core';

/**
 * The master keys: `--key-file` (the `BACKUPKIT_KEYS` format, `key_id:base64-of-32-bytes`,
 * comma or newline separated) or else `BACKUPKIT_KEYS`. Keys never come from an argument:
 * arguments show in process listings and shell history.
 * @throws BackupError `invalid_backup_config` for a malformed key (exit 2), `not_found` (exit 3)
 *   for a key file that is not there. Messages never quote key material.
 */
export async function loadMasterKeys(
  keyFile: string | undefined,
  env: Record<string, string | undefined>,
): Promise<LocalKeyProvider> {
  if (keyFile === undefined) return LocalKeyProvider.fromEnv(env.BACKUPKIT_KEYS ?? '');
  let text: string;
  try {
    text = await readFile(keyFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupError(
      code === 'ENOENT' ? 'not_found' : 'invalid_request',
      `Cannot read the key file ${keyFile}${code ? ` (${code})` : ''}`,
    );
  }
  return LocalKeyProvider.fromEnv(text.split(/[\r\n]+/).join(','));
}
