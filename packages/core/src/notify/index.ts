export * from './dispatch.js';
export { formatBytes, formatDuration, formatSubject, formatText } from './format-message.js';
export * from './notification-message.js';
export * from './notifier.js';
export * from './smtp-notifier.js';
export * from './webhook-notifier.js';
