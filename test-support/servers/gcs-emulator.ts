import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './child-server.js';
import { freePort } from './free-port.js';
import { packageDirectory, serversFile } from './resolve-package.js';

export interface GcsEmulator {
  server: ChildServer;
  /** For `new Storage({ apiEndpoint, projectId })`. */
  apiEndpoint: string;
  projectId: string;
  /** Stops the emulator and removes its data. */
  close(): Promise<void>;
}

/**
 * The Firebase Storage emulator from firebase-tools (a GCS JSON API server), see
 * firebase-storage-launcher.cjs. Object data lives in files under its own temp dir, metadata
 * in memory: a restart starts empty. Buckets appear on first upload; it cannot create or
 * delete buckets (501).
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const port = await freePort();
  const projectId = 'demo-backupkit';
  // The emulator keeps blobs under os.tmpdir() and deletes that tree on stop: give each
  // instance its own, so parallel test files never share or remove each other's data.
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'backupkit-gcs-'));
  const server = await ChildServer.start({
    name: 'firebase storage emulator',
    port,
    env: { ...process.env, TMPDIR: directory },
    args: [
      serversFile('firebase-storage-launcher.cjs'),
      packageDirectory('packages/storage-gcs', 'firebase-tools'),
      String(port),
      projectId,
    ],
  });
  return {
    server,
    apiEndpoint: `http://127.0.0.1:${port}`,
    projectId,
    close: async () => {
      await server.stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
