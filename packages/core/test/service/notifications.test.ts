import { rm } from 'node:fs/promises';
import type { NotificationMessage, Notifier } from '@backupkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from './helpers.js';

/** A channel that keeps what it was sent (the service's dispatch is what is under test). */
class RecordingNotifier implements Notifier {
  readonly channel = 'recording';
  readonly messages: NotificationMessage[] = [];
  async send(message: NotificationMessage): Promise<void> {
    this.messages.push(message);
  }
}

describe('notifications', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('notifies per the job settings and notify_on_completion', async () => {
    const notifier = new RecordingNotifier();
    const ctx = await makeService({ notifiers: [notifier] });
    const source = await tempDir('notify-src');
    dirs.push(source);
    await makeTree(source, 8);
    const notifications = {
      on_success: true,
      on_failure: true,
      on_warning: false,
      recipients: ['ops@example.com'],
    };
    try {
      const job = await ctx.service.createJob(fsJob(source, { notifications }));
      const ok = await ctx.service.executeJob(String(job.job_id));
      expect((await ctx.service.waitFor(String(ok.execution_id))).status).toBe('completed');
      expect(notifier.messages.map((m) => [m.outcome, m.job_id, m.recipients])).toEqual([
        ['success', job.job_id, ['ops@example.com']],
      ]);

      const quiet = await ctx.service.executeJob(String(job.job_id), {
        execution_options: { notify_on_completion: false },
      });
      await ctx.service.waitFor(String(quiet.execution_id));
      expect(notifier.messages).toHaveLength(1);

      const broken = await ctx.service.createJob(fsJob(`${source}/does-not-exist`, { notifications }));
      const failed = await ctx.service.executeJob(String(broken.job_id));
      expect((await ctx.service.waitFor(String(failed.execution_id))).status).toBe('failed');
      expect(notifier.messages.map((m) => m.outcome)).toEqual(['success', 'failure']);
    } finally {
      await ctx.cleanup();
    }
  });
});
