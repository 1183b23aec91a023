export type * from './backup-source.js';
export * from './filesystem/index.js';
export * from './postgres/index.js';
