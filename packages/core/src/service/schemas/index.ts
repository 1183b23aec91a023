export { COMPRESSION_ALGORITHMS, COMPRESSION_LEVELS, isValidTimeZone } from './common.js';
export * from './execute.js';
export * from './job.js';
export {
  compressionSchema,
  destinationSchema,
  encryptionSchema,
  retentionSchema,
  scheduleSchema,
  sourceSchema,
  verificationSchema,
} from './job-parts.js';
export * from './queries.js';
export * from './restore.js';
export * from './verify.js';
export * from './views/index.js';
