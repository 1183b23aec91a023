#!/usr/bin/env bash
# The packages as users install them. Packs every publishable package (run `pnpm build` first),
# installs the tarballs with npm into a scratch project in a new temp directory outside the
# workspace (no aliases, workspace links or tsconfig paths), and there:
#   - checks each manifest against the built code (engines, every loaded module declared,
#     no unused runtime dependency);
#   - imports every entry point as ESM, and requires every CommonJS one without require(esm),
#     neither loading a native module;
#   - type-checks a strict ESM and a strict CommonJS consumer with skipLibCheck false;
#   - runs the storage conformance suite from the installed @backupkit/core/testing on a copy
#     of examples/custom-storage-driver and on core's local driver;
#   - backs up and restores a directory and a PostgreSQL database, from ESM and from CommonJS;
#   - serves GET /backup/health, /backup/jobs and the analytics page through the adapter on Express and Fastify;
#   - runs the installed `backupkit` bin: help, a usage error, a directory backup and restore;
#   - without better-sqlite3 and zstd-napi (optional: their native builds may fail), backs up
#     with what remains and gets errors naming the package to install for the rest.
# Any failure exits non-zero. PACK_CHECK_KEEP=1 keeps the temp directory to look around.
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth (or BACKUPKIT_TEST_PG_URL).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
template="$repo/.ci/pack-check"
tmp="${TMPDIR:-/tmp}"
# Outside the workspace whatever TMPDIR says: Node would otherwise find the workspace's own
# node_modules (and its links to the package sources) above the scratch project.
case "$(cd "$tmp" && pwd -P)/" in "$(cd "$repo" && pwd -P)/"*) tmp=/tmp ;; esac
work="$(mktemp -d "$tmp/backupkit-pack-check.XXXXXX")"
app="$work/app"

cleanup() {
  if [ "${PACK_CHECK_KEEP:-0}" = 1 ]; then echo "Kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

started=$SECONDS
step_started=$SECONDS
step() {
  printf '\n▶ %s\n' "$*"
  step_started=$SECONDS
}
took() { printf '  (%ss)\n' "$((SECONDS - step_started))"; }

step "Packing packages/* into $work/packs"
mkdir -p "$work/packs"
for dir in "$repo"/packages/*/; do
  if [ "$(node -p "Boolean(require('${dir}package.json').private)")" = true ]; then continue; fi
  if [ ! -d "${dir}dist" ]; then
    echo "✗ ${dir}dist is missing: run pnpm build first" >&2
    exit 1
  fi
  (cd "$dir" && pnpm pack --pack-destination "$work/packs" >/dev/null)
done
for tarball in "$work"/packs/*.tgz; do
  manifest="$(tar -xzOf "$tarball" package/package.json)"
  if grep -q '"workspace:' <<<"$manifest"; then
    echo "✗ $(basename "$tarball") still has a workspace: range" >&2
    exit 1
  fi
  echo "  ✓ $(basename "$tarball")"
done
took

step "Installing the tarballs into a scratch npm project (builds better-sqlite3 and zstd-napi once)"
mkdir -p "$app"
cp -R "$template/." "$app/"
# The example driver, as a user would copy it: sources and its conformance test.
mkdir -p "$app/custom-driver"
cp -R "$repo/examples/custom-storage-driver/src" "$repo/examples/custom-storage-driver/test" "$app/custom-driver/"
cp "$app/consumer.ts" "$app/cjs/consumer.ts"
# npm's own cache is reused; install scripts run only for the packages package.json's
# allowScripts approves (the two native modules, compiled on every core: JOBS for node-gyp).
(cd "$app" && JOBS=max npm install --no-audit --no-fund --prefer-offline --loglevel=error "$work"/packs/*.tgz)
took

cd "$app"
step "Manifests against the built code"
node manifests.mjs
took

step "ESM: import every entry point"
node entries.mjs
took

step "CommonJS without require(esm) (Node 20.10–20.18): require every entry point"
node --no-experimental-require-module entries.cjs
took

step "Types: strict ESM consumer (NodeNext) and strict CommonJS consumer (Node16), skipLibCheck false"
npx --no-install tsc -p tsconfig.json
echo "  ✓ ESM consumer, the copied example driver and its tests"
npx --no-install tsc -p cjs/tsconfig.json
echo "  ✓ CommonJS consumer and a CommonJS conformance test"
took

step "Storage conformance from the installed @backupkit/core/testing (example driver, local driver)"
npx --no-install vitest run
took

step "ESM: backups, restores and the HTTP adapter"
node use.mjs
took

step "CommonJS without require(esm): backups, restores and the HTTP adapter"
node --no-experimental-require-module use.cjs
took

step "The installed backupkit bin"
node cli.mjs
took

step "Without the optional native modules (as when their builds fail)"
mkdir -p "$work/natives"
mv node_modules/better-sqlite3 node_modules/zstd-napi "$work/natives/"
node optional-natives.mjs
mv "$work"/natives/* node_modules/
took

printf '\n✓ Packages as installed: all checks passed in %ss\n' "$((SECONDS - started))"
