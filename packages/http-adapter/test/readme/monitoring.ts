// The monitoring example of packages/http-adapter/README.md, type-checked (strict) by
// `pnpm typecheck` and compared with the README by readme-examples.test.ts. Never run.
// README:begin
import { createBackupService, createSqliteCatalog } from '@backupkit/core';
import { apiTokenAuthenticator, parseApiTokens } from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import express from 'express';
import pino from 'pino';
import { Registry } from 'prom-client';

const registry = new Registry();
const logger = pino();
const db = createSqliteCatalog({ path: './.backupkit/catalog.db' });
const backups = createBackupService({ catalog: db, metrics: { registry }, logger });

const server = express();
server.use(
  '/backup',
  backupRouter(backups, {
    catalog: db,
    // e.g. "tok-1:ops:admin,tok-2:prometheus:viewer"
    authenticate: apiTokenAuthenticator(parseApiTokens(process.env.BACKUPKIT_API_TOKENS ?? '')),
    metrics: { registry, roles: ['admin', 'viewer'] }, // GET /backup/metrics
    ui: true, // GET /backup/ui: the analytics page
    logger, // request lines with request_id
  }),
);
server.listen(3000);
// README:end
