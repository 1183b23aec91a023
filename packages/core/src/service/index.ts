export type * from './backup-service.js';
export type * from './events.js';
