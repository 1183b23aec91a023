/** A data key wrapped (encrypted) under a master key; safe to store. */
export interface WrappedKey {
  /** Wrapping scheme, e.g. `aes-256-gcm`. */
  algorithm: string;
  /** Base64 of the wrapped key material (nonce + ciphertext + tag for aes-256-gcm). */
  data: string;
}

/**
 * Resolves master keys by `key_id`. The SDK never stores or returns master key material:
 * it only asks the provider to wrap and unwrap the repository's random data keys.
 * Implement this to plug in a KMS.
 */
export interface KeyProvider {
  /** Whether a master key with this id is available. */
  hasKey(keyId: string): Promise<boolean>;
  /** Wraps `dataKey` under master key `keyId`. Throws `key_not_found`. */
  wrapKey(keyId: string, dataKey: Uint8Array): Promise<WrappedKey>;
  /** Unwraps a data key. Throws `key_not_found`, or `key_mismatch` when the key is not the one it was wrapped with. */
  unwrapKey(keyId: string, wrapped: WrappedKey): Promise<Buffer>;
}
