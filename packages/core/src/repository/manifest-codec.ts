import { BackupError } from '../errors.js';
import { decodeObject, type EncodedObject, encodeObject } from './chunk-codec.js';
import { type CompressionSetting, normalizeCompression } from './compression.js';
import type { DataKey } from './data-key.js';
import type { Manifest } from './manifest.js';
import { zstdAvailable } from './zstd.js';

/** Upper bound on a manifest's plaintext (a tampered object cannot exhaust memory). */
export const MAX_MANIFEST_BYTES = 1024 * 1024 * 1024;
const ZSTD = normalizeCompression({ algorithm: 'zstd', level: 3 });
const BROTLI = normalizeCompression({ algorithm: 'brotli' });

/**
 * How manifests and index objects are compressed: zstd; brotli where zstd-napi (an optional
 * dependency) is not installed, so backups that do not ask for zstd work without it. Each
 * object's header records its algorithm for readers.
 */
export function metadataCompression(): Required<CompressionSetting> {
  return zstdAvailable() ? ZSTD : BROTLI;
}

function snapshotAad(backupId: string): Buffer {
  return Buffer.from(`backupkit:snapshot:${backupId}`, 'utf8');
}

/** A manifest as stored: JSON, compressed, encrypted like a chunk when `key` is given, bound to its backup id. */
export function encodeManifest(manifest: Manifest, key: DataKey | null): Promise<EncodedObject> {
  const plaintext = Buffer.from(JSON.stringify(manifest), 'utf8');
  return encodeObject(plaintext, {
    compression: metadataCompression(),
    aad: snapshotAad(manifest.backup_id),
    key,
  });
}

/**
 * @throws BackupError `integrity_error` (tampered, or another backup's manifest in its place),
 * `unsupported_format`, `key_not_found` / `key_mismatch` from `resolveKey`.
 */
export async function decodeManifest(
  stored: Buffer,
  backupId: string,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
): Promise<Manifest> {
  const details = { backup_id: backupId };
  const plaintext = await decodeObject(stored, {
    aad: snapshotAad(backupId),
    resolveKey,
    maxPlaintext: MAX_MANIFEST_BYTES,
    label: `Manifest of backup ${backupId}`,
    details,
  });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(plaintext.toString('utf8')) as Manifest;
  } catch (error) {
    throw new BackupError('integrity_error', `Manifest of backup ${backupId} is not valid JSON`, {
      details,
      cause: error,
    });
  }
  if (manifest.backup_id !== backupId || !Array.isArray(manifest.entries)) {
    throw new BackupError('integrity_error', `Manifest of backup ${backupId} does not describe that backup`, {
      details,
    });
  }
  if (manifest.format !== 1) {
    throw new BackupError(
      'unsupported_format',
      `Manifest format ${String(manifest.format)} is not supported`,
      {
        details,
      },
    );
  }
  return manifest;
}
