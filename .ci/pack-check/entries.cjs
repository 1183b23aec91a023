'use strict';
// Requires every CommonJS entry point. pack-check.sh runs this with
// --no-experimental-require-module: like Node 20.10–20.18, require() cannot load ES modules.
const assert = require('node:assert/strict');
const path = require('node:path');
const { ENTRIES, loadedNatives } = require('./entries-list.cjs');

// The mode is on: an ESM-only package (jose, which the adapter uses) cannot be required.
assert.throws(() => require('jose'), { code: 'ERR_REQUIRE_ESM' });

for (const [name, exported] of Object.entries(ENTRIES)) {
  const file = require.resolve(name);
  assert.ok(file.startsWith(path.join(__dirname, 'node_modules') + path.sep), `${name} resolved to ${file}`);
  const module = require(name);
  for (const key of exported) assert.ok(module[key] !== undefined, `${name} does not export ${key}`);
  console.log(`  ✓ require ${name} → ${path.relative(__dirname, file)}`);
}

assert.deepEqual(loadedNatives(), [], 'native modules loaded by a require alone');
console.log('  ✓ no native module (better-sqlite3, zstd-napi) loaded by the requires alone');

// /testing is ESM-only (vitest cannot be required): its CommonJS entry says so.
assert.throws(() => require('@backupkit/core/testing'), /@backupkit\/core\/testing is ESM-only/);
console.log('  ✓ require @backupkit/core/testing throws "ESM-only" (import it from vitest tests)');
