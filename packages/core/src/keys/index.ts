export type * from './key-provider.js';
export * from './local-key-provider.js';
