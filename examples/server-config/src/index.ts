export { createBackupkit, jsonLogger } from './backupkit.js';
export { configFromEnv, type ServerConfig } from './env.js';
