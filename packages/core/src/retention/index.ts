export * from './plan-retention.js';
export * from './retention-until.js';
export type { ZonedFields } from './zoned-calendar.js';
export { assertTimeZone, isoWeek, zonedFields, zonedToInstant } from './zoned-calendar.js';
