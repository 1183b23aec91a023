import { backupNotification, formatText, notificationSettingsOf } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const job = {
  job_id: 'job_1',
  job_name: 'Nightly',
  notifications: { on_success: true, on_failure: true, on_warning: false, recipients: ['a@x.io', 7] },
};

describe('backupNotification', () => {
  it('a completed execution: success, sizes from the backup, duration from the execution', () => {
    const message = backupNotification(
      job,
      {
        execution_id: 'exec_1',
        status: 'completed',
        trigger: 'schedule',
        started_at: '2024-01-15T02:00:00Z',
        completed_at: '2024-01-15T03:02:03Z',
        error: null,
      },
      { backup_id: 'backup_1', logical_size: 2048, file_size: 1024, new_bytes: 512 },
    );
    expect(message).toMatchObject({
      outcome: 'success',
      duration: 3723,
      logical_size: 2048,
      recipients: ['a@x.io'],
    });
    expect(formatText(message)).toContain('Duration:        1h 2m 3s');
  });

  it('a failed execution: failure with the error, secrets masked; warnings turn success into warning', () => {
    const failed = backupNotification(
      job,
      {
        execution_id: 'exec_2',
        status: 'failed',
        trigger: 'manual',
        started_at: '2024-01-15T02:00:00Z',
        completed_at: null,
        error: { code: 'source_unreachable', message: 'postgres://u:pw@h/db refused' },
      },
      null,
    );
    expect(failed).toMatchObject({ outcome: 'failure', duration: null, backup_id: null });
    expect(failed.error?.message).toBe('postgres://u:***@h/db refused');
    const warned = backupNotification(
      job,
      {
        execution_id: 'e',
        status: 'completed',
        trigger: 'manual',
        started_at: null,
        completed_at: null,
        error: null,
      },
      null,
      ['skipped 1 file'],
    );
    expect(warned.outcome).toBe('warning');
    expect(notificationSettingsOf({ notifications: null })).toBeNull();
  });
});
