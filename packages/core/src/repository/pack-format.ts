import { BackupError, isBackupError } from '../errors.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import { decodeObject, encodeObject, parseObjectHeader } from './chunk-codec.js';
import type { BlobLocation } from './chunk-index.js';
import { normalizeCompression } from './compression.js';
import type { DataKey } from './data-key.js';
import { packKey } from './layout.js';
import { readObject } from './object-io.js';

// A pack file: blob ‖ blob ‖ … ‖ header ‖ u32le(header bytes). Each blob is one chunk stored
// with the object layout (authenticated on its own, bound to its chunk id), so a blob can be
// read alone with a range request and copied to another pack unchanged. The header is an object
// of the same layout (encrypted when the writer encrypts) whose plaintext lists the blobs in
// order, 40 bytes each: chunk id (32) ‖ u32le stored length ‖ u32le plaintext size. Offsets
// follow from the lengths, so a pack describes itself and a lost index is rebuilt from headers.

/** One blob of a pack, as its header lists it. */
export interface PackBlob {
  id: string;
  offset: number;
  length: number;
  size: number;
}

const BLOB_RECORD_BYTES = 40;
const TRAILER_BYTES = 4;
const HEADER_AAD = Buffer.from('backupkit:pack-header', 'utf8');
const NO_COMPRESSION = normalizeCompression({ algorithm: 'none' });
/** What a header read fetches first: one request covers the headers of all but huge packs. */
const HEADER_PROBE_BYTES = 64 * 1024;

/** The header and trailer that end a pack holding `blobs` (in order, contiguous from offset 0). */
export async function encodePackTail(blobs: readonly PackBlob[], key: DataKey | null): Promise<Buffer> {
  const plain = Buffer.allocUnsafe(blobs.length * BLOB_RECORD_BYTES);
  blobs.forEach((blob, i) => {
    const at = i * BLOB_RECORD_BYTES;
    plain.write(blob.id, at, 32, 'hex');
    plain.writeUInt32LE(blob.length, at + 32);
    plain.writeUInt32LE(blob.size, at + 36);
  });
  const sealed = (await encodeObject(plain, { compression: NO_COMPRESSION, aad: HEADER_AAD, key })).bytes;
  const tail = Buffer.allocUnsafe(sealed.length + TRAILER_BYTES);
  sealed.copy(tail, 0);
  tail.writeUInt32LE(sealed.length, sealed.length);
  return tail;
}

/** What a pack's header says: its blobs, and the data key id it is sealed with (null: in the clear). */
export interface PackContents {
  key: string | null;
  blobs: PackBlob[];
}

/**
 * Reads a pack's header (one range request, two for huge headers) and returns its blobs.
 * @throws BackupError `integrity_error` (damaged or not a pack), `not_found`, key errors.
 */
export async function readPackHeader(
  driver: StorageDriver,
  name: string,
  packBytes: number,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
  options: DriverCallOptions = {},
): Promise<PackContents> {
  const label = `Pack ${name}`;
  const details = { pack: name };
  if (packBytes < TRAILER_BYTES) throw damagedPack(label, 'is too short to be a pack', details);
  const probe = Math.min(packBytes, HEADER_PROBE_BYTES);
  let tail = await readRange(driver, name, packBytes - probe, probe, options);
  const headerBytes = tail.readUInt32LE(tail.length - TRAILER_BYTES);
  if (headerBytes + TRAILER_BYTES > packBytes)
    throw damagedPack(label, 'has a header longer than itself', details);
  if (headerBytes + TRAILER_BYTES > tail.length) {
    tail = await readRange(
      driver,
      name,
      packBytes - headerBytes - TRAILER_BYTES,
      headerBytes + TRAILER_BYTES,
      options,
    );
  }
  const sealed = Buffer.from(
    tail.subarray(tail.length - TRAILER_BYTES - headerBytes, tail.length - TRAILER_BYTES),
  );
  const { dataKeyId } = parseObjectHeader(sealed, `${label} header`, details);
  const plain = await decodeObject(sealed, {
    aad: HEADER_AAD,
    resolveKey,
    maxPlaintext: packBytes,
    label: `${label} header`,
    details,
  });
  if (plain.length % BLOB_RECORD_BYTES !== 0) throw damagedPack(label, 'has a malformed header', details);
  const blobs: PackBlob[] = [];
  let offset = 0;
  for (let at = 0; at < plain.length; at += BLOB_RECORD_BYTES) {
    const length = plain.readUInt32LE(at + 32);
    blobs.push({ id: plain.toString('hex', at, at + 32), offset, length, size: plain.readUInt32LE(at + 36) });
    offset += length;
  }
  if (offset + headerBytes + TRAILER_BYTES !== packBytes) {
    throw damagedPack(label, 'does not have the size its header describes', details);
  }
  return { key: dataKeyId, blobs };
}

/** The stored bytes of one blob (a range request). */
export function readBlob(
  driver: StorageDriver,
  location: BlobLocation,
  options: DriverCallOptions & { own?: boolean } = {},
): Promise<Buffer> {
  return readRange(driver, location.pack, location.offset, location.length, options);
}

/**
 * `length` bytes of a pack from `offset`.
 * @throws BackupError `not_found`, `integrity_error` when the pack ends early.
 */
export async function readRange(
  driver: StorageDriver,
  pack: string,
  offset: number,
  length: number,
  options: DriverCallOptions & { own?: boolean } = {},
): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const bytes = await readObject(driver, packKey(pack), length, { ...options, range: { offset, length } });
  if (bytes.length !== length) {
    throw damagedPack(`Pack ${pack}`, `ends before byte ${offset + length}`, { pack, offset, length });
  }
  return bytes;
}

/** Whether an error means the pack object is not there (deleted or never written). */
export function isMissingPack(error: unknown): boolean {
  return isBackupError(error, 'not_found');
}

function damagedPack(label: string, what: string, details: Record<string, unknown>): BackupError {
  return new BackupError('integrity_error', `${label} ${what}`, { details });
}
