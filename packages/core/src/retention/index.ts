export * from './collect-garbage.js';
export * from './plan-retention.js';
export * from './repository-lock.js';
export * from './retention-until.js';
export type { ZonedFields } from './zoned-calendar.js';
export { assertTimeZone, isoWeek, zonedFields, zonedToInstant } from './zoned-calendar.js';
