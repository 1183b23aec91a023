import {
  assertTimeZone,
  type Manifest,
  planRetention,
  type RetentionDecision,
  type RetentionPolicy,
} from '@backupkit/core';
import type { Command } from 'commander';
import { formatTable } from '../format.js';
import { openExistingRepository } from '../open-repository.js';
import { readSnapshots } from '../snapshots-in-storage.js';
import { usageError } from '../usage-error.js';
import type { ContextOf } from './context-of.js';
import { prune } from './prune.js';

interface ForgetOptions {
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  timezone: string;
  job?: string;
  dryRun?: boolean;
  prune?: boolean;
  grace: string;
}

const KEEP_FLAGS: Array<[keyof ForgetOptions, keyof RetentionPolicy, string]> = [
  ['keepLast', 'last', '--keep-last'],
  ['keepHourly', 'hours', '--keep-hourly'],
  ['keepDaily', 'days', '--keep-daily'],
  ['keepWeekly', 'weeks', '--keep-weekly'],
  ['keepMonthly', 'months', '--keep-monthly'],
  ['keepYearly', 'years', '--keep-yearly'],
];

export function addForget(program: Command, contextOf: ContextOf): void {
  const command = program
    .command('forget')
    .description('Apply a retention policy per job: delete the backups it does not keep');
  for (const [, , flag] of KEEP_FLAGS) {
    command.option(`${flag} <n>`, `keep the newest backup of the last n ${flag.slice(7)} periods (-1: all)`);
  }
  command
    .option('--timezone <zone>', 'IANA zone whose calendar makes days, weeks, months', 'UTC')
    .option('--job <job_id>', "only this job's backups")
    .option('--dry-run', 'only show what would be kept and forgotten, and why')
    .option('--prune', 'then delete the chunks no remaining backup references')
    .option('--grace <duration>', 'with --prune: spare unreferenced chunks younger than this', '1h')
    .addHelpText(
      'after',
      `
Examples:
  backupkit forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run
  backupkit forget --keep-last 3 --job job_0123... --prune

Same semantics as the service's retention: per job, the newest backup of each period is kept,
the newest backup is always kept, and backups in the future are never deleted.`,
    )
    .action(async (options: ForgetOptions, cmd: Command) => {
      const context = contextOf(cmd);
      const policy = policyOf(options);
      assertZone(options.timezone);
      const destination = context.destination();
      const plans = await context.withStorage(destination, async (driver) => {
        const repository = await openExistingRepository(context, driver);
        const manifests = (await readSnapshots(repository, context.signal)).filter(
          (m) => !options.job || m.job_id === options.job,
        );
        const planned = planPerJob(manifests, policy, options.timezone);
        if (!options.dryRun) {
          for (const plan of planned) {
            for (const decision of plan.forget)
              await repository.deleteSnapshot(decision.backup_id, { signal: context.signal });
          }
        }
        return planned;
      });
      const garbage =
        options.prune && !options.dryRun ? await prune(context, { grace: options.grace }) : null;
      context.result(
        { dry_run: options.dryRun === true, policy, jobs: plans, garbage_collection: garbage },
        () => forgetText(plans, options.dryRun === true),
      );
    });
}

function policyOf(options: ForgetOptions): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const [field, rule, flag] of KEEP_FLAGS) {
    const raw = options[field];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < -1) throw usageError(`${flag} must be an integer >= -1`, flag);
    policy[rule] = value;
  }
  if (Object.values(policy).every((v) => v === 0)) {
    throw usageError(
      'Give at least one --keep-* option that keeps something (forget never deletes everything)',
    );
  }
  return policy;
}

function assertZone(zone: string): void {
  try {
    assertTimeZone(zone);
  } catch {
    throw usageError(`Unknown time zone "${zone}"`, 'timezone');
  }
}

interface JobPlan {
  job_id: string;
  keep: RetentionDecision[];
  forget: RetentionDecision[];
}

function planPerJob(manifests: Manifest[], policy: RetentionPolicy, timezone: string): JobPlan[] {
  const byJob = new Map<string, Manifest[]>();
  for (const m of manifests) byJob.set(m.job_id, [...(byJob.get(m.job_id) ?? []), m]);
  return [...byJob].map(([jobId, list]) => {
    const candidates = list.map((m) => ({
      backup_id: m.backup_id,
      created_at: m.completed_at,
      status: 'completed',
    }));
    const plan = planRetention(candidates, policy, { timezone, now: new Date() });
    return { job_id: jobId, keep: plan.keep, forget: plan.forget };
  });
}

function forgetText(plans: JobPlan[], dryRun: boolean): string {
  if (plans.length === 0) return 'No backups to apply the policy to';
  const blocks = plans.map((plan) => {
    const rows = [
      ...plan.keep.map((d) => ['keep', d.backup_id, d.created_at, d.reasons.join(', ')]),
      ...plan.forget.map((d) => [dryRun ? 'would forget' : 'forgot', d.backup_id, d.created_at, '-']),
    ];
    return `Job ${plan.job_id}: keep ${plan.keep.length}, ${dryRun ? 'would forget' : 'forgot'} ${plan.forget.length}\n${formatTable(['Action', 'Backup', 'Time', 'Reasons'], rows)}`;
  });
  return blocks.join('\n\n');
}
