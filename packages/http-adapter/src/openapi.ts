import { z } from 'zod';
import { ERROR_STATUS } from './error-status.js';
import { PATH_PARAMS, ROUTES, type RouteSpec } from './routes.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of what a caller may send (zod 4: `io: 'input'`), without the `$schema` line. */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/**
 * JSON Schema of what the service answers, from core's schema of the result. Objects stay open
 * (no `additionalProperties: false`): a later version may add fields, never drop or retype one.
 */
function outputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    },
  }) as JsonSchema;
  return rest;
}

function queryParameters(route: RouteSpec): JsonSchema[] {
  const schema = inputSchema(route.query);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

function pathParameters(route: RouteSpec): JsonSchema[] {
  return [...route.pattern.matchAll(/\{([a-z_]+)\}/g)].map(([, name]) => {
    const rule = PATH_PARAMS[name!]!;
    return {
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: `^${rule.prefix}_[A-Za-z0-9_-]{1,64}$` },
    };
  });
}

/** Error statuses each route can answer with, beyond the common ones. */
function errorStatuses(route: RouteSpec): number[] {
  const out = new Set<number>([400, 401, 403, 500]);
  if (route.pattern.includes('{')) out.add(404);
  if (route.body) {
    out.add(413);
    out.add(422);
  }
  if (route.rateLimit) out.add(429);
  if (route.action === 'job.execute' || route.action === 'job.update') out.add(409);
  return [...out].sort();
}

function operation(route: RouteSpec): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  responses[String(route.status)] =
    route.status === 204
      ? { description: 'Done' }
      : {
          description: route.summary,
          content: {
            'application/json': {
              schema: route.response
                ? outputSchema(route.response)
                : { type: 'object', additionalProperties: true },
            },
          },
        };
  for (const status of errorStatuses(route)) {
    responses[String(status)] = {
      description: `Error (${Object.entries(ERROR_STATUS)
        .filter(([, value]) => value === status)
        .map(([code]) => code)
        .join(', ')})`,
      ...(status === 429 ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    operationId: route.action.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase()),
    summary: route.summary,
    tags: [route.resourceType],
    parameters: [...pathParameters(route), ...queryParameters(route)],
    ...(route.body
      ? {
          requestBody: {
            required: !route.bodyOptional,
            content: { 'application/json': { schema: inputSchema(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas that validate requests and
 * type the service's results (so neither can drift from the document).
 */
export function buildOpenApiDocument(options: { basePath?: string; title?: string; version?: string } = {}) {
  const basePath = (options.basePath ?? '/backup').replace(/\/+$/, '');
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTES) {
    const path = `${basePath}${route.pattern}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title ?? 'Backup Service API', version: options.version ?? '1.0.0' },
    paths,
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message', 'details'],
          properties: {
            error: { type: 'string', enum: Object.keys(ERROR_STATUS) },
            message: { type: 'string' },
            details: { type: 'object', additionalProperties: true },
          },
        },
      },
    },
  };
}
