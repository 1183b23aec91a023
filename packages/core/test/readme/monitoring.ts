// The monitoring example of packages/core/README.md, type-checked (strict) by `pnpm typecheck`
// and compared with the README by readme-examples.test.ts. Never run.
// README:begin
import { createBackupService } from '@backupkit/core';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';

const registry = new Registry(); // or prom-client's default `register`: metrics: true
collectDefaultMetrics({ register: registry });

const monitored = createBackupService({
  dataDir: '/var/lib/backupkit',
  metrics: { registry }, // backupkit_* metrics; serve registry.metrics() (the HTTP adapter can)
  logger: pino(), // or console, or any (message, fields) logger
  // tracing: spans go to the OpenTelemetry SDK the host registered (none: nothing is recorded)
});
await monitored.start();
// README:end
