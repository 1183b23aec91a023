// Checks the installed @backupkit packages' manifests against their built code: every package
// declares the Node versions it supports, every module its code loads is declared (a
// dependency, an optional dependency or a peer), and every runtime dependency is used.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scope = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@backupkit');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
// import … from 'x', export … from 'x', import 'x', import('x'), require('x')
// (a whole literal: not the `'u' + 'rl'` bundlers write to keep a require() from being bundled).
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\s]+)\1(?=\s*[),;]|\s*$)/gm;
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

let failures = 0;
for (const dir of await readdir(scope)) {
  const root = path.join(scope, dir);
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const problems = [];
  if (!manifest.engines?.node) problems.push('declares no engines.node');
  const runtime = { ...manifest.dependencies, ...manifest.optionalDependencies };
  const declared = new Set([...Object.keys(runtime), ...Object.keys(manifest.peerDependencies ?? {})]);

  const code = [];
  for (const entry of await readdir(path.join(root, 'dist'), { recursive: true })) {
    if (/\.(c|m)?js$/.test(entry)) code.push(await readFile(path.join(root, 'dist', entry), 'utf8'));
  }
  const loaded = new Set();
  for (const text of code) {
    for (const [, , specifier] of text.matchAll(SPECIFIER)) {
      if (!specifier.startsWith('.') && !builtins.has(specifier)) loaded.add(packageOf(specifier));
    }
  }
  for (const name of loaded) {
    if (name !== manifest.name && !declared.has(name))
      problems.push(`loads ${name}, which it does not declare`);
  }
  // Used: named in a string anywhere in the code (also covers createRequire and worker paths).
  for (const name of Object.keys(runtime)) {
    if (!code.some((text) => text.includes(`'${name}'`) || text.includes(`"${name}"`))) {
      problems.push(`declares ${name} as a runtime dependency but never loads it`);
    }
  }
  if (problems.length > 0) {
    failures++;
    for (const problem of problems) console.error(`  ✗ ${manifest.name} ${problem}`);
  } else {
    console.log(`  ✓ ${manifest.name}: engines ${manifest.engines.node}; loads only what it declares`);
  }
}
assert.equal(failures, 0, 'package manifests do not match their code');
