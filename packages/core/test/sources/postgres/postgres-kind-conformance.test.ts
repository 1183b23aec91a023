import { postgresSourceKind } from '@backupkit/core';
import { sourceKindConformance } from '@backupkit/core/testing';
import { postgresKindFixture } from './kind-fixture.js';

sourceKindConformance({ name: 'postgres', kind: postgresSourceKind, createFixture: postgresKindFixture });
