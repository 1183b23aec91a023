// @backupkit/core/testing: conformance suites that every driver and catalog runs.
export * from './storage-conformance.js';
export * from './catalog-conformance.js';
