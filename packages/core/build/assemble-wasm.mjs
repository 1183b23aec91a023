// Assembles src/repository/gear-scan.wat (WebAssembly text, threads enabled) into
// src/repository/gear-scan-wasm-bytes.generated.ts, which git ignores: the sources hold the text
// only. Runs on install (`prepare`) and before every build, and skips the write when the output
// is already current, so sources run by tsx, tests, type checks and builds all find it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const source = fileURLToPath(new URL('../src/repository/gear-scan.wat', import.meta.url));
const target = fileURLToPath(new URL('../src/repository/gear-scan-wasm-bytes.generated.ts', import.meta.url));

const wabt = await wabtInit();
const module = wabt.parseWat('gear-scan.wat', readFileSync(source, 'utf8'), { threads: true });
let bytes;
try {
  module.resolveNames();
  bytes = module.toBinary({}).buffer;
} finally {
  module.destroy();
}
const text = `// Generated from gear-scan.wat by build/assemble-wasm.mjs: do not edit.
export const GEAR_SCAN_WASM: Uint8Array = new Uint8Array(Buffer.from('${Buffer.from(bytes).toString('base64')}', 'base64'));
`;
if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileSync(target, text);
