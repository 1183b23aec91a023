export * from './chunk-codec.js';
export * from './chunker.js';
export * from './compression.js';
export type { DataKey } from './data-key.js';
export type { DataKeyRecord } from './key-store.js';
export * from './layout.js';
export type * from './manifest.js';
export * from './repo-config.js';
export * from './repository.js';
