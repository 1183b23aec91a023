import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function runQuickstart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(exampleDir, 'node_modules', '.bin', 'tsx'),
      ['--tsconfig', '../../tsconfig.json', 'src/main.ts'],
      { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('quick start', () => {
  it('backs up, lists, restores and verifies the sample tree with a key from BACKUPKIT_KEYS', async () => {
    const material = randomBytes(32).toString('base64');
    const { code, output } = await runQuickstart({ BACKUPKIT_KEYS: `qs_key:${material}` });
    expect(output).toContain('Encryption key: "qs_key" from BACKUPKIT_KEYS');
    expect(output).toMatch(/Sample tree: 320 files, \d+\.\d+ MiB/);
    expect(output).toMatch(/Backup completed in [\d.]+ s; verification: passed/);
    expect(output).toMatch(/Listed 1 backup: backup_[0-9a-f]{32}/);
    expect(output).toMatch(/checksum +sha256:[0-9a-f]{64}/);
    expect(output).toContain('✓ All 320 files restored identically (SHA-256 checked)');
    const ratio = Number(/ratio +([\d.]+)/.exec(output)?.[1]);
    expect(ratio).toBeGreaterThan(0.05);
    expect(ratio).toBeLessThan(0.8);
    expect(output).toMatch(/backup speed +[\d.]+ MB\/s/);
    expect(output).not.toContain(material);
    expect(code).toBe(0);
  });

  it('runs without configuration, on a generated demo key it does not print', async () => {
    const { code, output } = await runQuickstart({ BACKUPKIT_KEYS: '' });
    expect(output).toContain('generated demo key "demo_key"');
    expect(output).toContain('✓ All 320 files restored identically');
    expect(code).toBe(0);
  });
});
