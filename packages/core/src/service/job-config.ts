import { COMPRESSION_LEVELS } from './schemas/common.js';
import type { CreateJobParsed } from './schemas/job.js';

type Json = Record<string, unknown>;

/** A job's settings with defaults resolved: what is stored (after sealing) and what runs use. */
export interface JobConfig {
  job_name: string;
  description: string | null;
  backup_type: 'full' | 'incremental' | 'differential';
  source: Json;
  destination: Json & { type: string };
  schedule: Json | null;
  retention: Json | null;
  compression: { enabled: boolean; algorithm: 'none' | 'gzip' | 'brotli' | 'zstd'; level?: number };
  encryption: { enabled: boolean; algorithm?: string; key_id?: string };
  verification: {
    enabled: boolean;
    checksum_verification: boolean;
    integrity_check: boolean;
    test_restore: boolean;
  };
  notifications: Json | null;
}

function normalizeCompression(input: CreateJobParsed['compression']): JobConfig['compression'] {
  if (input === undefined)
    return { enabled: true, algorithm: 'zstd', level: COMPRESSION_LEVELS.zstd.default };
  const algorithm = input.enabled ? (input.algorithm ?? 'zstd') : 'none';
  if (algorithm === 'none') return { enabled: false, algorithm: 'none' };
  return { enabled: true, algorithm, level: input.level ?? COMPRESSION_LEVELS[algorithm].default };
}

function normalizeSchedule(input: CreateJobParsed['schedule']): Json | null {
  if (!input) return null;
  const out: Json = { ...input };
  const preset = ['hourly', 'daily', 'weekly', 'monthly'].includes(input.frequency);
  if (preset && input.time === undefined) out.time = '00:00';
  if (input.frequency === 'weekly' && input.day_of_week === undefined) out.day_of_week = 0;
  if (input.frequency === 'monthly' && input.day_of_month === undefined) out.day_of_month = 1;
  return out;
}

/**
 * Fills the defaults of what a request leaves out (zstd at its default level, no encryption, verify
 * after each run).
 */
export function normalizeJob(parsed: CreateJobParsed): JobConfig {
  const encryption: JobConfig['encryption'] = parsed.encryption?.enabled
    ? {
        enabled: true,
        algorithm: parsed.encryption.algorithm ?? 'AES-256',
        key_id: parsed.encryption.key_id!,
      }
    : { enabled: false };
  return {
    job_name: parsed.job_name,
    description: parsed.description ?? null,
    backup_type: parsed.backup_type,
    source: { ...parsed.source },
    destination: { ...parsed.destination },
    schedule: normalizeSchedule(parsed.schedule),
    retention: parsed.retention ? { ...parsed.retention } : null,
    compression: normalizeCompression(parsed.compression),
    encryption,
    verification: parsed.verification ?? {
      enabled: true,
      checksum_verification: true,
      integrity_check: true,
      test_restore: false,
    },
    notifications: parsed.notifications ? { ...parsed.notifications } : null,
  };
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies a PATCH to a job's (unsealed) input form: objects merge field by field, except that
 * an object whose `type` changes replaces the old one; `null` clears nullable sections.
 */
export function mergeJobInput(current: Json, patch: Json): Json {
  const out: Json = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'status') continue;
    const previous = current[key];
    if (isRecord(value) && isRecord(previous) && (value.type === undefined || value.type === previous.type)) {
      out[key] = { ...previous, ...value };
    } else {
      out[key] = value;
    }
  }
  return out;
}
