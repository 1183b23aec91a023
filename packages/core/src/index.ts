// Public API of @backupkit/core. Each area owns its barrel; add exports there, not here.

export * from './catalog/index.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './keys/index.js';
export * from './monitoring/index.js';
export * from './notify/index.js';
export * from './repository/index.js';
export * from './retention/index.js';
export * from './schedule/index.js';
export * from './security/index.js';
export * from './service/index.js';
export * from './sources/index.js';
export * from './storage/index.js';
export * from './util/index.js';
export * from './verification/index.js';
