// Run with better-sqlite3 and zstd-napi moved away, as after an install whose native builds
// failed (npm drops failed optional dependencies): every other feature works, and the two
// that need them fail with an error naming the package to install.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@backupkit/core';

for (const name of ['better-sqlite3', 'zstd-napi']) {
  assert.throws(() => createRequire(import.meta.url)(name), { code: 'MODULE_NOT_FOUND' });
}

const work = await mkdtemp(path.join(tmpdir(), 'bk-pack-natives-'));
const source = path.join(work, 'source');
const service = core.createBackupService({
  dataDir: path.join(work, 'data'),
  catalog: core.createMemoryCatalog(),
  keys: new core.LocalKeyProvider({ pack_key: randomBytes(32) }),
  access: { sourceRoots: [source], restoreRoots: [work] },
});
const job = (algorithm) => ({
  job_name: `Without natives (${algorithm})`,
  backup_type: 'full',
  source: { type: 'filesystem', path: source },
  destination: { type: 'local', path: algorithm },
  compression: { enabled: true, algorithm, level: 3 },
  encryption: { enabled: true, algorithm: 'AES-256', key_id: 'pack_key' },
});
try {
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, 'notes.txt'), 'backupkit '.repeat(100_000));

  const gzip = await service.createJob(job('gzip'));
  const run = await service.waitFor(String((await service.executeJob(String(gzip.job_id))).execution_id));
  assert.equal(run.status, 'completed', JSON.stringify(run.error));
  const restore = await service.createRestore({
    backup_id: run.result.backup_id,
    destination: { type: 'filesystem', path: path.join(work, 'restored') },
  });
  assert.equal((await service.waitFor(String(restore.restore_id))).status, 'completed');
  assert.equal(
    await readFile(path.join(work, 'restored', 'notes.txt'), 'utf8'),
    await readFile(path.join(source, 'notes.txt'), 'utf8'),
  );
  console.log('  ✓ memory catalog, gzip: backup and restore work without either module');

  const zstd = await service.createJob(job('zstd'));
  const failed = await service.waitFor(String((await service.executeJob(String(zstd.job_id))).execution_id));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error.code, 'not_implemented');
  assert.match(failed.error.message, /npm install zstd-napi/);
  console.log(`  ✓ a zstd backup fails: ${failed.error.message}`);

  const sqlite = core.createSqliteCatalog({ path: path.join(work, 'catalog.db') });
  await assert.rejects(sqlite.init(), (error) => {
    assert.ok(core.isBackupError(error, 'not_implemented'), String(error));
    assert.match(error.message, /npm install better-sqlite3/);
    console.log(`  ✓ the SQLite catalog fails: ${error.message}`);
    return true;
  });
} finally {
  await service.stop({ cancelRunning: true });
  await rm(work, { recursive: true, force: true });
}
