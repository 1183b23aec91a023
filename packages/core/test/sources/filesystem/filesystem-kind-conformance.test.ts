import { filesystemSourceKind } from '@backupkit/core';
import { sourceKindConformance } from '@backupkit/core/testing';
import { filesystemKindFixture } from './kind-fixture.js';

sourceKindConformance({
  name: 'filesystem',
  kind: filesystemSourceKind,
  createFixture: filesystemKindFixture,
});
