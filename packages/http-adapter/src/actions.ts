/** Every action the API exposes; `authorize` and `publicActions` speak in these. */
export const ACTIONS = [
  'job.create',
  'job.list',
  'job.get',
  'job.update',
  'job.delete',
  'job.execute',
  'job.status',
  'execution.list',
  'execution.cancel',
  'backup.list',
  'backup.verify',
  'verification.get',
  'restore.create',
  'restore.status',
  'analytics.get',
  'retention.apply',
  'health',
  'openapi',
  /** `GET /metrics`, when the host serves it (see `metrics`). */
  'metrics',
] as const;

export type Action = (typeof ACTIONS)[number];
