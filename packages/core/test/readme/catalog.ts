// The "Catalogs" example of packages/core/README.md, type-checked by `pnpm typecheck`
// and compared with the README by readme-examples.test.ts.
// README:begin
import { createBackupService, createPostgresCatalog, LocalKeyProvider } from '@backupkit/core';

const catalog = createPostgresCatalog({
  connectionString: process.env.CATALOG_URL ?? 'postgresql://backupkit@db.internal/backupkit',
  schema: 'backupkit',
});
const backups = createBackupService({
  catalog,
  secretKey: Buffer.from(process.env.BACKUPKIT_SECRET_KEY ?? '', 'base64'), // the same 32 bytes on every instance
  keys: new LocalKeyProvider({ backup_key: Buffer.from(process.env.BACKUP_KEY ?? '', 'base64') }),
});
await backups.start();
// ...
await backups.stop();
await catalog.close(); // a catalog you pass in is yours to close
// README:end
