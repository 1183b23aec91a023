import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './child-server.js';
import { freePort } from './free-port.js';
import { packageBin } from './resolve-package.js';

/** Azurite's documented development account; not a secret. */
const ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteServer {
  server: ChildServer;
  connectionString: string;
  account: string;
  accountKey: string;
  blobEndpoint: string;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

export interface StartAzuriteOptions {
  /**
   * Keep blobs on disk (under a temp dir) so they survive a stop and restart of the server;
   * otherwise in memory, which is several times faster for many small blobs.
   */
  persistent?: boolean;
}

/** Azurite's blob service. */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteServer> {
  const port = await freePort();
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'backupkit-azurite-'));
  const server = await ChildServer.start({
    name: 'azurite',
    port,
    args: [
      packageBin('packages/storage-azure', 'azurite', 'azurite-blob'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      ...(options.persistent ? ['--location', directory] : ['--inMemoryPersistence']),
      '--silent',
      '--skipApiVersionCheck',
    ],
  });
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    server,
    account: ACCOUNT,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    close: async () => {
      await server.stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
