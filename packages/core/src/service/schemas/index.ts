export * from './common.js';
export * from './execute.js';
export * from './job.js';
export * from './job-parts.js';
export * from './queries.js';
export * from './restore.js';
export * from './verify.js';
