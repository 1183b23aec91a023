export type * from './access-policy.js';
export * from './database-target.js';
export * from './destination-access.js';
export * from './path-confinement.js';
export * from './redaction.js';
export * from './upstream-errors.js';
