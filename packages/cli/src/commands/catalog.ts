import path from 'node:path';
import {
  type CatalogRepository,
  createPostgresCatalog,
  createSqliteCatalog,
  type DestinationConfig,
  maskConnectionString,
  rebuildCatalog,
} from '@backupkit/core';
import type { Command } from 'commander';
import type { ParsedDestination } from '../destination-url.js';
import { POSTGRES_URL } from '../source-spec.js';
import type { ContextOf } from './context-of.js';

export function addCatalog(program: Command, contextOf: ContextOf): void {
  const catalog = program.command('catalog').description("A service's catalog, rebuilt from storage");
  catalog
    .command('rebuild')
    .description('Add to a catalog every committed backup of the repository that it lacks')
    .requiredOption('--catalog <url>', 'a SQLite file (path or file:///path) or a postgresql:// URL')
    .option('--schema <name>', 'PostgreSQL schema of the catalog', 'public')
    .addHelpText(
      'after',
      `
Examples:
  backupkit catalog rebuild --catalog /var/lib/backupkit/catalog.db --repo file:///var/backups/db
  backupkit catalog rebuild --catalog postgresql://backupkit@db/backupkit --repo s3://bk/db

Idempotent: backups the catalog knows are left alone; jobs it does not know get paused
placeholder rows, so a service started on the catalog lists and restores them.`,
    )
    .action(async (options: { catalog: string; schema: string }, command: Command) => {
      const context = contextOf(command);
      const destination = context.destination();
      const keys = await context.keys();
      const target = openCatalog(options.catalog, options.schema, context.io.cwd);
      try {
        await target.catalog.init();
        const result = await context.withStorage(destination, (driver) =>
          rebuildCatalog({
            catalog: target.catalog,
            driver,
            keyProvider: keys,
            destination: destinationConfigOf(destination),
            signal: context.signal,
          }),
        );
        context.result({ catalog: target.display, ...result }, () =>
          [
            `Catalog ${target.display}: ${result.inserted.length} backup(s) added, ${result.existing.length} already known, ${result.jobs_created.length} placeholder job(s)`,
            ...result.skipped.map((s) => `skipped ${s.backup_id}: ${s.code}: ${s.message}`),
          ].join('\n'),
        );
      } finally {
        await target.catalog.close().catch(() => {});
      }
    });
}

function openCatalog(
  url: string,
  schema: string,
  cwd: string,
): { catalog: CatalogRepository; display: string } {
  if (POSTGRES_URL.test(url)) {
    return {
      catalog: createPostgresCatalog({ connectionString: url, schema }),
      display: maskConnectionString(url),
    };
  }
  const file = url.startsWith('file://') ? new URL(url).pathname : path.resolve(cwd, url);
  return { catalog: createSqliteCatalog({ path: file }), display: file };
}

/** What the rebuilt rows record as their destination (secret fields are dropped by core). */
function destinationConfigOf(destination: ParsedDestination): DestinationConfig {
  return destination.kind === 'file' ? { type: 'local', path: destination.root } : destination.config;
}
