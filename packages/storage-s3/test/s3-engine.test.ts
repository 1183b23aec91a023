import { cloudEngineRoundTrips } from '../../../test-support/servers/index.js';
import { S3Fixture } from './s3-test-driver.js';

cloudEngineRoundTrips({
  name: 'S3 (fauxqs)',
  start: () => S3Fixture.cloudFixture(),
  startInterruptible: () => S3Fixture.cloudFixture({ relay: true }),
});
