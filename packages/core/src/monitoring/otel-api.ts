import { createRequire } from 'node:module';

// The subset of `@opentelemetry/api` the service calls (structural, so the package stays an
// optional peer: without it, or without an SDK behind it, tracing costs nothing).

export type SpanAttributeValue = string | number | boolean;
export type SpanAttributes = Record<string, SpanAttributeValue | undefined>;

export interface OtelSpan {
  setAttributes(attributes: SpanAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: { name: string; message: string }): unknown;
  end(endTime?: number): void;
  isRecording(): boolean;
}

export interface OtelTracer {
  startSpan(
    name: string,
    options?: { attributes?: SpanAttributes; startTime?: number },
    context?: unknown,
  ): OtelSpan;
}

export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: unknown, span: OtelSpan): unknown;
  };
  context: {
    active(): unknown;
    with<T>(context: unknown, fn: () => T): T;
  };
  SpanStatusCode: { OK: number; ERROR: number };
}

let loaded: OtelApi | null | undefined;

/** `@opentelemetry/api` when the host installed it, else null (looked up once). */
export function otelApi(): OtelApi | null {
  if (loaded === undefined) {
    try {
      const require = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
      loaded = require('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
