import type { ServiceLogger } from '../service/service-context.js';

/** Any log method: `(message, fields)` like console's, or `(fields, message)` like pino's. */
export type LogMethod = (...args: never[]) => unknown;

type CallableLog = (...args: unknown[]) => unknown;

/**
 * A logger the service and the HTTP adapter take as it is: pino (or bunyan), console, or
 * anything with `debug`/`info`/`warn`/`error` taking `(message, fields)`. Pino-style loggers are
 * recognised by their `bindings()` method and get `(fields, message)`, so fields land in the
 * JSON line rather than being dropped as format arguments.
 */
export interface LoggerLike {
  debug?: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Whether `logger` takes its fields first (pino's and bunyan's convention). */
export function takesFieldsFirst(logger: LoggerLike): boolean {
  const candidate = logger as { bindings?: unknown; fields?: unknown; child?: unknown };
  return (
    typeof candidate.child === 'function' &&
    (typeof candidate.bindings === 'function' ||
      (typeof candidate.fields === 'object' && candidate.fields !== null))
  );
}

/** The service's `(message, fields)` logger over any `LoggerLike` (a `ServiceLogger` passes through). */
export function toServiceLogger(logger: LoggerLike): ServiceLogger {
  const fieldsFirst = takesFieldsFirst(logger);
  const method = (level: Level) => {
    const target = logger[level] as CallableLog | undefined;
    if (!target) return () => {};
    // Called on the logger: pino's and console's methods need their `this`.
    return fieldsFirst
      ? (message: string, fields?: Record<string, unknown>) => target.call(logger, fields ?? {}, message)
      : (message: string, fields?: Record<string, unknown>) =>
          fields === undefined ? target.call(logger, message) : target.call(logger, message, fields);
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}
