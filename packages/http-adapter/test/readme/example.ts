// The example of packages/http-adapter/README.md, type-checked (strict) by
// `pnpm typecheck` and compared with the README by readme-examples.test.ts.
// README:begin
import { createBackupService, createRestoreSchema, createSqliteCatalog } from '@backupkit/core';
import {
  anyOf,
  apiTokenAuthenticator,
  type BackupHandlerOptions,
  createBackupHandler,
  effectiveRoles,
  jwtAuthenticator,
  parseApiTokens,
} from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import express from 'express';
import Fastify from 'fastify';

const jwtSecret = process.env.JWT_SECRET;
if (!jwtSecret) throw new Error('JWT_SECRET is not set');

const catalog = createSqliteCatalog({ path: './.backupkit/catalog.db' });
const service = createBackupService({ catalog });
const options: Omit<BackupHandlerOptions, 'service'> = {
  catalog, // audit log and rate-limit counters live here (shared by every instance on it)
  authenticate: anyOf(
    // e.g. "tok-1:ops:admin,tok-2:dashboard:viewer,tok-3:team-a"
    apiTokenAuthenticator(parseApiTokens(process.env.BACKUPKIT_API_TOKENS ?? '')),
    jwtAuthenticator({ secret: jwtSecret, issuer: 'https://id.example.com', audience: 'backupkit' }),
  ),
  // Optional, on top of the built-in roles: only admins restore, and never over existing data.
  authorize: (principal, action, _resource, { body }) => {
    if (action !== 'restore.create') return true;
    const restore = createRestoreSchema.safeParse(body); // already validated: this only types it
    return (
      effectiveRoles(principal).includes('admin') &&
      restore.success &&
      restore.data.destination.overwrite_existing !== true
    );
  },
  publicActions: ['health', 'openapi'],
};

// Express 5
const app = express();
app.use('/backup', backupRouter(service, options));
app.listen(3000);

// Fastify 5
const fastify = Fastify({ frameworkErrors: backupFrameworkErrors });
await fastify.register(backupPlugin, { service, ...options, prefix: '/backup' });
await fastify.listen({ port: 3001 });

// Anything else: one request in, one response out
const handle = createBackupHandler({ service, ...options });
const { status, headers, body } = await handle({
  method: 'GET',
  path: '/files',
  query: { limit: '10' },
  headers: { authorization: 'Bearer tok-1' },
});
console.log(status, headers['content-type'], body);
// README:end
