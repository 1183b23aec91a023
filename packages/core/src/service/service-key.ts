import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BackupError } from '../errors.js';

/**
 * Reads the 32-byte key that seals secrets in the catalog, creating it (mode 0600, exclusive
 * create so two processes starting at once agree on one key) when missing.
 * @throws BackupError `invalid_backup_config` when the file exists but is not 32 bytes.
 */
export async function loadOrCreateServiceKey(file: string): Promise<Buffer> {
  try {
    return check(await readFile(file), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return check(await readFile(file), file);
}

function check(key: Buffer, file: string): Buffer {
  if (key.length !== 32) {
    throw new BackupError('invalid_backup_config', 'The secret key file must hold exactly 32 bytes', {
      details: { file },
    });
  }
  return key;
}
