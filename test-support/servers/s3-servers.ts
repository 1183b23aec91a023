import { ChildServer } from './child-server.js';
import { freePort } from './free-port.js';
import { packageDirectory, serversFile } from './resolve-package.js';

const OWNER = 'packages/storage-s3';

export interface S3TestServer {
  server: ChildServer;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Client settings the server needs beyond the endpoint (path-style addressing). */
  clientConfig: { forcePathStyle: true };
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/**
 * fauxqs: in-memory, real multipart ETags; state is lost when it stops. (s3rver 3.7.1 was
 * tried and dropped: a `bytes=0-0` range returns wrong bytes, paging past 1,000 keys answers
 * 500, and a PUT is written in place, so a killed server leaves a truncated object visible.)
 */
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
