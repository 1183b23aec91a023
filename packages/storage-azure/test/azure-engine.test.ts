import { type CloudFixture, cloudEngineRoundTrips } from '../../../test-support/servers/index.js';
import { AzuriteFixture } from './azure-test-driver.js';

/** Drivers under `prefix` that give up quickly when the server is gone. */
async function azurite(persistent: boolean): Promise<CloudFixture> {
  const fixture = new AzuriteFixture({ persistent });
  await fixture.start();
  return {
    // A graceful stop: Azurite saves its metadata database periodically, so after a SIGKILL
    // it would forget the container created seconds before (its blobs' data survives).
    server: { kill: () => fixture.server.server.stop(), restart: () => fixture.server.server.restart() },
    driver: (prefix) =>
      fixture.driver({ path: `engine/${prefix}`, retry: { maxTries: 2, retryDelayInMs: 100 } }),
    close: fixture.close,
  };
}

cloudEngineRoundTrips({
  name: 'Azure Blob (Azurite; the killed one keeps blobs on disk)',
  start: () => azurite(false),
  startInterruptible: () => azurite(true),
});
