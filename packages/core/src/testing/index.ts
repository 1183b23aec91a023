// @backupkit/core/testing: conformance suites that every driver and catalog runs.

export * from './catalog-conformance.js';
export * from './storage-conformance.js';
