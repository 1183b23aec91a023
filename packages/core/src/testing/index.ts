// @backupkit/core/testing: conformance suites that every driver, catalog and source kind runs.

export * from './catalog-conformance.js';
export * from './source-kind-conformance.js';
export * from './storage-conformance.js';
