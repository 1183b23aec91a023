// The installed `backupkit` bin, as an operator runs it: help, a usage error, and a directory
// backed up to a file:// repository, listed and restored byte for byte.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', '.bin', 'backupkit');
const scratch = mkdtempSync(path.join(tmpdir(), 'bk-cli-'));
const env = { ...process.env, BACKUPKIT_KEYS: `k1:${randomBytes(32).toString('base64')}` };
const backupkit = (...args) => spawnSync(bin, args, { env, encoding: 'utf8' });

try {
  const help = backupkit('--help');
  assert.equal(help.status, 0, help.stderr);
  for (const verb of ['snapshots', 'backup', 'restore', 'verify', 'prune', 'key'])
    assert.match(help.stdout, new RegExp(verb));
  console.log('  ✓ backupkit --help');

  const bogus = backupkit('frobnicate');
  assert.equal(bogus.status, 2);
  assert.equal(bogus.stderr.trim().split('\n').length, 1, bogus.stderr);
  assert.doesNotMatch(bogus.stderr, /\n\s+at /);
  console.log(`  ✓ an unknown verb: exit 2, one line: ${bogus.stderr.trim()}`);

  const source = path.join(scratch, 'source');
  mkdirSync(path.join(source, 'nested'), { recursive: true });
  writeFileSync(path.join(source, 'random.bin'), randomBytes(3_000_000));
  writeFileSync(path.join(source, 'nested', 'notes.txt'), 'backupkit as installed\n'.repeat(1000));
  const repo = `file://${path.join(scratch, 'repo')}`;
  const made = backupkit('backup', source, '--to', repo, '--encryption-key', 'k1', '--json');
  assert.equal(made.status, 0, made.stderr);
  const { backup_id } = JSON.parse(made.stdout);
  const listed = backupkit('snapshots', repo, '--json');
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).backups.map((b) => b.backup_id),
    [backup_id],
  );
  const target = path.join(scratch, 'restored');
  const restored = backupkit('restore', 'latest', '--to', target, '--repo', repo, '--json');
  assert.equal(restored.status, 0, restored.stderr);
  for (const file of ['random.bin', 'nested/notes.txt']) {
    assert.ok(readFileSync(path.join(source, file)).equals(readFileSync(path.join(target, file))), file);
  }
  console.log(
    `  ✓ backup, snapshots, restore (file://, zstd, AES-256-GCM): ${backup_id} restored byte for byte`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
