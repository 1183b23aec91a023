export * from './next-run.js';
export * from './occurrences.js';
export * from './scheduler.js';
