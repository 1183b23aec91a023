import { configFromEnv, createBackupkit, jsonLogger } from '@backupkit/example-server-config';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import Fastify from 'fastify';

const config = configFromEnv();
const { service, adapter } = createBackupkit(config);
await service.start();

const app = Fastify({ logger: false, frameworkErrors: backupFrameworkErrors });
await app.register(backupPlugin, { ...adapter, service, prefix: '/backup' });
const address = await app.listen({ port: config.port, host: config.host });
jsonLogger.info('listening', { url: `${address}/backup` });

async function shutdown(): Promise<void> {
  await app.close();
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
