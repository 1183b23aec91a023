import { createMemoryCatalog } from '@backupkit/core';
import { catalogConformance } from '@backupkit/core/testing';

catalogConformance({ name: 'memory', create: async () => createMemoryCatalog() });
