// `prestart` of the server examples: builds what `start` (plain `node dist/server.js`) needs and
// is missing, so `pnpm --dir examples/<name> start` works on a fresh clone.
//   - a @backupkit package the example depends on (and the packages it needs), when its dist is
//     absent (a fresh clone; CI and `pnpm build` build them all). A dist older than its sources is
//     only reported: rebuilding packages on every start would be slow, and would rewrite files
//     other processes are loading. Shared example code (examples/server-config) is rebuilt when
//     older than its sources, like the example itself.
//   - the example itself, when its dist is absent or older than its src (a few seconds of tsc).
// Serialized by a lock directory: the tests start several examples at once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const exampleDir = process.cwd();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(exampleDir, 'package.json'), 'utf8'));
const say = (message) => process.stderr.write(`[${manifest.name}] ${message}\n`);

/** Newest modification time of the files under `dir` (0 when there are none). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      time = Math.max(time, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return time;
}

/** Oldest modification time of the files `files` (0 when one is missing). */
function oldest(files) {
  let time = Number.POSITIVE_INFINITY;
  for (const file of files) {
    if (!existsSync(file)) return 0;
    time = Math.min(time, statSync(file).mtimeMs);
  }
  return time;
}

function run(args, cwd) {
  const result = spawnSync('pnpm', args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  // Thrown, not exited: the lock below is released on the way out.
  if (result.status !== 0) throw new Error(`pnpm ${args.join(' ')} failed (exit ${result.status})`);
}

async function withLock(body) {
  const lock = path.join(root, 'node_modules', '.cache', 'backupkit-example-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A holder that died leaves its lock behind; no build takes ten minutes.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 600_000)
        rmSync(lock, { force: true, recursive: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

await withLock(() => {
  const missing = [];
  for (const name of Object.keys(manifest.dependencies ?? {}).filter((n) => n.startsWith('@backupkit/'))) {
    const dir = realpathSync(path.join(exampleDir, 'node_modules', name));
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const built = oldest([pkg.main, pkg.module, pkg.types].filter(Boolean).map((f) => path.join(dir, f)));
    // Example code shared by the examples (server-config) is rebuilt like the example itself.
    const exampleCode = path.dirname(dir) === path.join(root, 'examples');
    if (built === 0 || (exampleCode && newest(path.join(dir, 'src')) > built)) missing.push(name);
    else if (newest(path.join(dir, 'src')) > built)
      say(`${name}: dist is older than src; \`pnpm build\` runs the current sources`);
  }
  if (missing.length > 0) {
    say(`building ${missing.join(', ')} (dist missing or older than src) and what it needs`);
    run(['-r', ...missing.flatMap((name) => ['--filter', `${name}...`]), 'build'], root);
  }
  const sources = Math.max(
    newest(path.join(exampleDir, 'src')),
    statSync(path.join(exampleDir, 'tsconfig.json')).mtimeMs,
  );
  const outputs = readdirSync(path.join(exampleDir, 'src'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(exampleDir, 'dist', f.replace(/\.ts$/, '.js')));
  if (oldest(outputs) < sources) {
    say('building the example (dist missing or older than src)');
    run(['run', 'build'], exampleDir);
  }
});
