import type { CatalogRepository } from '../../catalog/catalog-repository.js';
import type { ExecutionRecord, JobRecord, ScheduleRecord } from '../../catalog/records.js';

/** What the catalog says about one job, read at scrape time. */
export interface JobState {
  job: JobRecord;
  latest: ExecutionRecord | null;
  lastSuccess: ExecutionRecord | null;
  schedule: ScheduleRecord | null;
}

/** The catalog's figures a scrape reports: they survive restarts because the catalog does. */
export interface CatalogState {
  jobs: JobState[];
  executions: { running: number; queued: number };
  storage: Array<{ destination: string; bytes: number }>;
}

const PAGE = 200;

/** Reads the state (jobs page by page, a few indexed lookups per job, one analytics query). */
export async function readCatalogState(catalog: CatalogRepository): Promise<CatalogState> {
  await catalog.init(); // idempotent; a scrape may come before the service's first call
  const jobs: JobState[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await catalog.listJobs({ limit: PAGE, offset });
    const live = page.items.filter((job) => job.status !== 'deleted');
    jobs.push(...(await Promise.all(live.map((job) => jobState(catalog, job)))));
    if (page.items.length < PAGE) break;
  }
  const [running, queued, analytics] = await Promise.all([
    catalog.listExecutions({ status: ['running'], limit: 1, offset: 0 }),
    catalog.listExecutions({ status: ['queued'], limit: 1, offset: 0 }),
    catalog.analytics({}),
  ]);
  const storage = new Map<string, number>();
  for (const row of analytics.storage_breakdown) {
    storage.set(row.destination, (storage.get(row.destination) ?? 0) + row.total_size);
  }
  return {
    jobs,
    executions: { running: running.total, queued: queued.total },
    storage: [...storage].map(([destination, bytes]) => ({ destination, bytes })),
  };
}

async function jobState(catalog: CatalogRepository, job: JobRecord): Promise<JobState> {
  const [latest, successes, schedule] = await Promise.all([
    catalog.latestExecution(job.job_id),
    catalog.listExecutions({ job_id: job.job_id, status: ['completed'], limit: 1, offset: 0 }),
    catalog.getSchedule(job.job_id),
  ]);
  return { job, latest, lastSuccess: successes.items[0] ?? null, schedule };
}

/**
 * One read per scrape: every gauge's `collect` asks, the first starts the read and the others
 * share it.
 */
export class CatalogStateReader {
  readonly #catalog: CatalogRepository;
  #inFlight: Promise<CatalogState> | null = null;

  constructor(catalog: CatalogRepository) {
    this.#catalog = catalog;
  }

  read(): Promise<CatalogState> {
    this.#inFlight ??= readCatalogState(this.#catalog).finally(() => {
      // Kept for the rest of this scrape's collect calls (same tick), then dropped.
      setImmediate(() => {
        this.#inFlight = null;
      });
    });
    return this.#inFlight;
  }
}
