import { type CloudFixture, cloudEngineRoundTrips, TcpRelay } from '../../../test-support/servers/index.js';
import { GcsFixture } from './gcs-test-driver.js';

/**
 * Drivers under `prefix` that give up quickly. With `relay`, they connect through a relay the
 * test kills: the emulator keeps object metadata in memory, so killing it would forget all.
 */
async function emulator(relay: boolean): Promise<CloudFixture> {
  const fixture = new GcsFixture();
  await fixture.start();
  const port = Number(new URL(fixture.emulator.apiEndpoint).port);
  const cut = relay ? await TcpRelay.start(port) : undefined;
  const apiEndpoint = cut ? `http://127.0.0.1:${cut.port}` : fixture.emulator.apiEndpoint;
  return {
    server: cut ?? fixture.emulator.server,
    driver: (prefix) =>
      fixture.driver({
        path: `engine/${prefix}`,
        apiEndpoint,
        retryOptions: { maxRetries: 1, retryDelayMultiplier: 1, maxRetryDelay: 0.2, totalTimeout: 5 },
      }),
    close: async () => {
      await cut?.kill();
      await fixture.close();
    },
  };
}

cloudEngineRoundTrips({
  name: 'GCS (Firebase Storage emulator)',
  start: () => emulator(false),
  startInterruptible: () => emulator(true),
});
