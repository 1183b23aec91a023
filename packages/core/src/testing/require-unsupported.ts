// What `require('@backupkit/core/testing')` loads: the suites declare vitest cases, and vitest
// can only be imported, so this entry is ESM-only. Test files are ES modules under vitest even
// in CommonJS projects; the types (index.d.cts) stay usable there.
throw new Error(
  '@backupkit/core/testing is ESM-only (its suites run on vitest, which cannot be loaded with ' +
    'require()): import it from a vitest test file or an ES module instead.',
);
