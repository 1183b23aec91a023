import type { BackupRecord, ExecutionRecord, JobRecord } from '../catalog/records.js';
import type { PhaseTimeline } from '../monitoring/phase-timeline.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import type { ExecuteJobParsed } from './schemas/execute.js';
import type { WriteChain } from './write-chain.js';

export interface RunExecutionResult {
  execution: ExecutionRecord;
  backup: BackupRecord | null;
}

/** One execution under way: its job, its configs with real secrets, and its latest record. */
export interface ExecutionRun {
  executionId: string;
  options: ExecuteJobParsed;
  job: JobRecord;
  execution: ExecutionRecord;
  startedAt: string;
  sourceConfig: Record<string, unknown>;
  destination: DestinationConfig;
  /** Scrubbed from whatever error is stored. */
  secrets: string[];
  writes: WriteChain;
  /** Where the run's phases are traced; absent when nothing records traces. */
  phases?: PhaseTimeline;
}
