export type * from './key-provider.js';
