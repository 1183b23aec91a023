export type * from './catalog-repository.js';
export { createMemoryCatalog, MemoryCatalog } from './memory-catalog.js';
export { canonicalTime } from './record-columns.js';
export type * from './records.js';
