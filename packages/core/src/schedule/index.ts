export * from './next-run.js';
