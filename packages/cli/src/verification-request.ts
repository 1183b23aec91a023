import type { VerifyBackupOptions } from '@backupkit/core';
import { usageError } from './usage-error.js';

/** The read-data choice of `verify` and `check`: none (checksums only), a subset, or everything. */
export interface ReadDataFlags {
  readData?: boolean;
  readDataSubset?: string;
  quick?: boolean;
}

const PERCENT = /^(100|[1-9]\d?)(\.\d+)?%$/;

/**
 * The verification request for the flags: `--quick` checksums (every chunk object exists with
 * its recorded size and SHA-256), `--read-data-subset 10%` also decrypts and checks a rotating
 * tenth of the chunks, `--read-data` all of them.
 * @throws BackupError `invalid_request` (exit 2) for a bad percentage or conflicting flags.
 */
export function verificationRequest(flags: ReadDataFlags, fallback: 'full' | 'quick'): VerifyBackupOptions {
  const chosen = [flags.readData, flags.readDataSubset !== undefined, flags.quick].filter(Boolean).length;
  if (chosen > 1) throw usageError('Use one of --quick, --read-data and --read-data-subset', 'read-data');
  let type: string = fallback;
  if (flags.quick) type = 'quick';
  if (flags.readData) type = 'full';
  if (flags.readDataSubset !== undefined) {
    const value = flags.readDataSubset.endsWith('%') ? flags.readDataSubset : `${flags.readDataSubset}%`;
    if (!PERCENT.test(value))
      throw usageError('--read-data-subset takes a percentage such as 10%', 'read-data-subset');
    type = value;
  }
  return {
    verification_type: type,
    checksum_verification: true,
    integrity_check: type !== 'quick',
    test_restore: false,
  };
}
