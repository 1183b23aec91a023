/** Socket-level failures that a later attempt may not meet (the store restarted, a link dropped). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/**
 * True when `error` (or one of its causes, or an error inside an AggregateError) is a network
 * failure worth retrying: refused or reset connections, timeouts, DNS hiccups. For drivers'
 * error mapping (→ `unavailable`).
 */
export function isTransientNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const code = codeOf(error);
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.message === 'socket hang up'))
    return true;
  if (
    error instanceof AggregateError &&
    error.errors.some((inner) => isTransientNetworkError(inner, depth + 1))
  ) {
    return true;
  }
  return 'cause' in error && isTransientNetworkError(error.cause, depth + 1);
}
