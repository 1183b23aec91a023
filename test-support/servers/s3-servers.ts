import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './child-server.js';
import { freePort } from './free-port.js';
import { packageBin, packageDirectory, serversFile } from './resolve-package.js';

const OWNER = 'packages/storage-s3';

export interface S3TestServer {
  server: ChildServer;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Client settings the server needs beyond the endpoint (path-style addressing; s3rver
   * also needs checksums only when required, or it stores aws-chunked framing in objects).
   */
  clientConfig: {
    forcePathStyle: true;
    requestChecksumCalculation?: 'WHEN_REQUIRED';
    responseChecksumValidation?: 'WHEN_REQUIRED';
  };
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/** fauxqs: in-memory, real multipart ETags; state is lost when it stops. */
export async function startFauxqs(): Promise<S3TestServer> {
  const port = await freePort();
  const server = await ChildServer.start({
    name: 'fauxqs',
    port,
    args: [serversFile('fauxqs-launcher.mjs'), packageDirectory(OWNER, 'fauxqs'), String(port)],
  });
  return {
    server,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    clientConfig: { forcePathStyle: true },
    close: () => server.stop(),
  };
}

/** s3rver: disk-backed, so objects survive a stop and restart of the server. */
export async function startS3rver(): Promise<S3TestServer> {
  const port = await freePort();
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'backupkit-s3rver-'));
  const server = await ChildServer.start({
    name: 's3rver',
    port,
    args: [
      packageBin(OWNER, 's3rver', 's3rver'),
      '-d',
      directory,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-s',
    ],
  });
  return {
    server,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    clientConfig: {
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    close: async () => {
      await server.stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
