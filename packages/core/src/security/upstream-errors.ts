/**
 * What a storage driver may say about a failed request to its service. The service on the
 * other end is not trusted: its response body (an HTML error page, an XML message, a proxy's
 * banner) and its error headers are chosen by whoever answers, so nothing of them goes into a
 * `BackupError` beyond the HTTP status and a short code.
 */

const SAFE_CODE = /^[A-Za-z0-9._-]{1,64}$/;

/** A short error code (`AccessDenied`, `ECONNREFUSED`), or undefined for anything else: longer, empty or with other characters. */
export function safeErrorCode(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_CODE.test(value) ? value : undefined;
}

export interface UpstreamFailure {
  /** The HTTP status of the response, when there was one. */
  status?: number | undefined;
  /** The service's or the socket's error code; dropped unless `safeErrorCode` accepts it. */
  code?: unknown;
}

/**
 * `HTTP 403 AccessDenied`, `HTTP 500`, `ECONNREFUSED` or `no response`: a failure summarised
 * without any text the other side chose beyond a short code.
 */
export function upstreamFailureSummary(failure: UpstreamFailure): string {
  const code = safeErrorCode(failure.code);
  const status =
    typeof failure.status === 'number' && Number.isInteger(failure.status) && failure.status > 0
      ? failure.status
      : undefined;
  if (status !== undefined) return code ? `HTTP ${status} ${code}` : `HTTP ${status}`;
  return code ?? 'no response';
}
