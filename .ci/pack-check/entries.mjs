// Imports every entry point as an ES module: each must resolve inside this project's
// node_modules (never the workspace) and export what its package documents.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRIES, loadedNatives } from './entries-list.cjs';

const app = path.dirname(fileURLToPath(import.meta.url));

for (const [name, exported] of Object.entries({
  ...ENTRIES,
  '@backupkit/core/testing': ['storageDriverConformance', 'catalogConformance', 'hashStream'],
})) {
  const file = fileURLToPath(import.meta.resolve(name));
  assert.ok(file.startsWith(path.join(app, 'node_modules') + path.sep), `${name} resolved to ${file}`);
  const module = await import(name);
  for (const key of exported) assert.ok(module[key] !== undefined, `${name} does not export ${key}`);
  console.log(`  ✓ import ${name} → ${path.relative(app, file)}`);
}

assert.deepEqual(loadedNatives(), [], 'native modules loaded by an import alone');
console.log('  ✓ no native module (better-sqlite3, zstd-napi) loaded by the imports alone');
