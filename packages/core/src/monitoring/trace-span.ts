import { isBackupError } from '../errors.js';
import { type OtelApi, type OtelSpan, otelApi, type SpanAttributes } from './otel-api.js';

/** The instrumentation scope the service's spans are recorded under. */
export const TRACER_NAME = '@backupkit/core';

/**
 * One span of the service's work, or nothing at all: without `@opentelemetry/api` (or with
 * tracing off) every method is a no-op, so callers never check. Attributes carry ids, types,
 * sizes and error codes only, never configs, messages or secrets.
 */
export class TraceSpan {
  static readonly none = new TraceSpan(null, null, undefined);

  readonly #api: OtelApi | null;
  readonly #span: OtelSpan | null;
  readonly #context: unknown;
  #ended = false;

  private constructor(api: OtelApi | null, span: OtelSpan | null, context: unknown) {
    this.#api = api;
    this.#span = span;
    this.#context = context;
  }

  /** A root span (or a child of the host's active span, e.g. its HTTP request's). */
  static start(name: string, attributes: SpanAttributes = {}, enabled = true): TraceSpan {
    const api = enabled ? otelApi() : null;
    if (!api) return TraceSpan.none;
    return TraceSpan.#open(api, name, attributes, api.context.active());
  }

  static #open(api: OtelApi, name: string, attributes: SpanAttributes, parent: unknown, startTime?: number) {
    const tracer = api.trace.getTracer(TRACER_NAME);
    const span = tracer.startSpan(name, { attributes: defined(attributes), startTime }, parent);
    return new TraceSpan(api, span, api.trace.setSpan(parent, span));
  }

  /** Whether an SDK records this span (false without one: nothing is kept). */
  get recording(): boolean {
    return this.#span?.isRecording() ?? false;
  }

  /** A child span, parented explicitly (no context manager needed). */
  child(name: string, attributes: SpanAttributes = {}, startTime?: number): TraceSpan {
    if (!this.#api) return TraceSpan.none;
    return TraceSpan.#open(this.#api, name, attributes, this.#context, startTime);
  }

  setAttributes(attributes: SpanAttributes): void {
    this.#span?.setAttributes(defined(attributes));
  }

  /** Marks the span failed with the error's code (its message may quote a source: not recorded). */
  fail(error: unknown): void {
    this.failWith(isBackupError(error) ? error.code : 'internal_error');
  }

  /** Marks the span failed with an error code. */
  failWith(code: string): void {
    if (!this.#span || !this.#api) return;
    this.#span.setAttributes({ 'backupkit.error.code': code });
    this.#span.recordException({ name: 'BackupError', message: code });
    this.#span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: code });
  }

  end(endTime?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#span?.end(endTime);
  }

  /**
   * Runs `fn` inside this span (active for the host's own instrumentation, e.g. pg queries),
   * records a failure, and ends the span.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const api = this.#api;
      return await (api ? api.context.with(this.#context, fn) : fn());
    } catch (error) {
      this.fail(error);
      throw error;
    } finally {
      this.end();
    }
  }
}

function defined(attributes: SpanAttributes): SpanAttributes {
  const out: SpanAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}
