import type { AddressInfo } from 'node:net';
import { configFromEnv, createBackupkit, jsonLogger } from '@backupkit/example-server-config';
import { backupRouter } from '@backupkit/http-adapter/express';
import express from 'express';

const config = configFromEnv();
const { service, adapter } = createBackupkit(config);
await service.start();

const app = express();
app.disable('x-powered-by');
app.use('/backup', backupRouter(service, adapter));

const server = app.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  jsonLogger.info('listening', { url: `http://${config.host}:${port}/backup` });
});

async function shutdown(): Promise<void> {
  server.close();
  await service.stop();
  await config.catalog.close();
  jsonLogger.info('stopped');
  process.exit(0);
}
// A signal can arrive twice (e.g. from a process-group kill and again relayed by tsx/pnpm):
// shut down once, and keep handling the signal so a repeat cannot kill the process mid-way.
let stopping = false;
const onSignal = (): void => {
  if (stopping) return;
  stopping = true;
  void shutdown();
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
