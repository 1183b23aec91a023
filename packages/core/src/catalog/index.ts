export type * from './records.js';
export type * from './catalog-repository.js';
