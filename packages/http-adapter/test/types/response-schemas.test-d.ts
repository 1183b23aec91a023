import type {
  AnalyticsView,
  BackupFileList,
  ExecutionList,
  ExecutionView,
  HealthView,
  JobList,
  JobStatusView,
  JobView,
  RestoreStatusView,
  RestoreView,
  RetentionResult,
  VerificationView,
} from '@backupkit/core';
import type { responseSchemas } from '@backupkit/http-adapter';
import { expectTypeOf, test } from 'vitest';
import type { z } from 'zod';

test('the adapter’s response schemas describe exactly the service’s result types', () => {
  expectTypeOf<z.output<typeof responseSchemas.jobResponse>>().toEqualTypeOf<JobView>();
  expectTypeOf<z.output<typeof responseSchemas.jobListResponse>>().toEqualTypeOf<JobList>();
  expectTypeOf<z.output<typeof responseSchemas.executionResponse>>().toEqualTypeOf<ExecutionView>();
  expectTypeOf<z.output<typeof responseSchemas.executionListResponse>>().toEqualTypeOf<ExecutionList>();
  expectTypeOf<z.output<typeof responseSchemas.jobStatusResponse>>().toEqualTypeOf<JobStatusView>();
  expectTypeOf<z.output<typeof responseSchemas.filesResponse>>().toEqualTypeOf<BackupFileList>();
  expectTypeOf<z.output<typeof responseSchemas.restoreResponse>>().toEqualTypeOf<RestoreView>();
  expectTypeOf<z.output<typeof responseSchemas.restoreStatusResponse>>().toEqualTypeOf<RestoreStatusView>();
  expectTypeOf<z.output<typeof responseSchemas.verificationResponse>>().toEqualTypeOf<VerificationView>();
  expectTypeOf<z.output<typeof responseSchemas.analyticsResponse>>().toEqualTypeOf<AnalyticsView>();
  expectTypeOf<z.output<typeof responseSchemas.retentionResponse>>().toEqualTypeOf<RetentionResult>();
  expectTypeOf<z.output<typeof responseSchemas.healthResponse>>().toEqualTypeOf<HealthView>();
});
