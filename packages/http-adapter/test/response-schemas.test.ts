import * as core from '@backupkit/core';
import { buildOpenApiDocument, ROUTES, responseSchemas } from '@backupkit/http-adapter';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

describe('response schemas are core’s schemas of the service results', () => {
  it('each one is the very schema core types its result with (no second description)', () => {
    expect(responseSchemas.jobResponse).toBe(core.jobViewSchema);
    expect(responseSchemas.jobListResponse).toBe(core.jobListSchema);
    expect(responseSchemas.executionResponse).toBe(core.executionViewSchema);
    expect(responseSchemas.executionListResponse).toBe(core.executionListSchema);
    expect(responseSchemas.jobStatusResponse).toBe(core.jobStatusViewSchema);
    expect(responseSchemas.backupResult).toBe(core.backupResultViewSchema);
    expect(responseSchemas.backupFile).toBe(core.backupFileViewSchema);
    expect(responseSchemas.filesResponse).toBe(core.backupFileListSchema);
    expect(responseSchemas.restoreResponse).toBe(core.restoreViewSchema);
    expect(responseSchemas.restoreStatusResponse).toBe(core.restoreStatusViewSchema);
    expect(responseSchemas.verificationResponse).toBe(core.verificationViewSchema);
    expect(responseSchemas.analyticsResponse).toBe(core.analyticsViewSchema);
    expect(responseSchemas.retentionResponse).toBe(core.retentionResultSchema);
    expect(responseSchemas.healthResponse).toBe(core.healthViewSchema);
  });

  it('every JSON route documents its success body with one of them, in the OpenAPI document', () => {
    const doc = buildOpenApiDocument();
    const known = new Set<unknown>(Object.values(responseSchemas));
    for (const route of ROUTES) {
      if (route.status === 204 || route.action === 'openapi') continue;
      expect(known.has(route.response), route.action).toBe(true);
      const documented = (doc.paths[`/backup${route.pattern}`] as Record<string, Record<string, unknown>>)[
        route.method.toLowerCase()
      ]!.responses as Record<
        string,
        { content: { 'application/json': { schema: Record<string, unknown> } } }
      >;
      const schema = documented[String(route.status)]!.content['application/json'].schema;
      const { $schema: _omit, ...expected } = z.toJSONSchema(route.response!, {
        io: 'output',
        unrepresentable: 'any',
      }) as Record<string, unknown>;
      expect(Object.keys(schema.properties as object)).toEqual(Object.keys(expected.properties as object));
      expect(schema.required).toEqual(expected.required);
      // Open to fields a later version adds.
      expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
    }
  });
});
