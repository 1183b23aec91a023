export type * from './backup-service.js';
export type * from './events.js';
export * from './schemas/index.js';
export { describeIssues, parseInput, validationError } from './validate.js';
