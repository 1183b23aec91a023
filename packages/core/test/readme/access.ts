// The "Access policy" example of packages/core/README.md, type-checked by `pnpm typecheck`
// and compared with the README by readme-examples.test.ts.
// README:begin
import { allowDatabaseHosts, createBackupService } from '@backupkit/core';

const backups = createBackupService({
  access: {
    sourceRoots: ['/srv/uploads'], // directory backups may read these subtrees
    restoreRoots: ['/srv/restores'], // directory restores may write into these
    allowEndpoint: (url) => url.origin === 'http://minio.internal:9000', // per-job storage endpoints
    allowDatabase: allowDatabaseHosts(['db.internal:5432', '*.replicas.internal', 'unix']),
  },
});
// README:end
console.log(await backups.health());
