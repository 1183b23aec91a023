import { z } from 'zod';
import { BACKUP_TYPES, isoTime } from './view-parts.js';

/** One backup as `listBackups` lists it (`GET /backup/files`). */
export const backupFileViewSchema = z.object({
  backup_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  backup_type: z.enum(BACKUP_TYPES),
  file_path: z.string().describe('where the manifest lives'),
  file_size: z.number().describe('bytes stored'),
  logical_size: z.number().describe('bytes before compression and deduplication'),
  compression_ratio: z.number().describe('stored / logical'),
  encryption: z.string().nullable(),
  checksum: z.string().describe('sha256:<hex> of the stored manifest'),
  status: z.enum(['completed', 'failed', 'deleted']),
  created_at: isoTime(),
  verified_at: isoTime().nullable(),
  verification_status: z.string().nullable(),
  retention_until: isoTime().nullable(),
  duration: z.number().describe('seconds'),
  parent_backup_id: z.string().nullable(),
  execution_id: z.string().nullable(),
  entries: z.number().int().optional().describe('tables or files in the backup, when recorded'),
});

/** A page of backups (`listBackups`), newest first, with the filters that applied. */
export const backupFileListSchema = z.object({
  files: z.array(backupFileViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  filters: z.record(z.string(), z.string()).describe('job_id, backup_type, date_from, date_to, status'),
});

export type BackupFileView = z.infer<typeof backupFileViewSchema>;
export type BackupFileList = z.infer<typeof backupFileListSchema>;
