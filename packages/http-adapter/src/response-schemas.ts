/**
 * The API's success bodies, by the names the adapter has always used for them. They are core's
 * schemas of the service's results (the service builds exactly these shapes, typed by them), so
 * the OpenAPI document, the tests and the service cannot describe a response differently.
 */
export {
  analyticsViewSchema as analyticsResponse,
  backupFileListSchema as filesResponse,
  backupFileViewSchema as backupFile,
  backupResultViewSchema as backupResult,
  backupVerificationViewSchema as backupVerification,
  catalogRebuildResultSchema as catalogRebuildResponse,
  errorBlockSchema as errorBlock,
  executionListSchema as executionListResponse,
  executionViewSchema as executionResponse,
  healthViewSchema as healthResponse,
  jobListSchema as jobListResponse,
  jobStatusViewSchema as jobStatusResponse,
  jobViewSchema as jobResponse,
  restoreStatusViewSchema as restoreStatusResponse,
  restoreViewSchema as restoreResponse,
  retentionResultSchema as retentionResponse,
  verificationViewSchema as verificationResponse,
} from '@backupkit/core';
