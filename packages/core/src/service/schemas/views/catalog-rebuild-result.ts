import { z } from 'zod';

const problem = { code: z.string(), message: z.string() };

/** `rebuildCatalog()`: what storage had and the catalog lacked. */
export const catalogRebuildResultSchema = z.object({
  /** Backup ids added to the catalog. */
  inserted: z.array(z.string()),
  /** Placeholder jobs created for backups whose job the catalog did not know. */
  jobs_created: z.array(z.string()),
  /** Backups in storage that could not be read. */
  skipped: z.array(z.object({ backup_id: z.string(), ...problem })),
  /** Destinations that could not be read (no repository there, unreachable). */
  unreachable: z.array(z.object({ destination: z.string(), ...problem })),
});

export type CatalogRebuildResult = z.infer<typeof catalogRebuildResultSchema>;
