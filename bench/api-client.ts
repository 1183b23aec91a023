type Json = Record<string, unknown>;

/** A client of the backup REST API with one bearer token; any non-2xx answer throws. */
export function apiClient(baseUrl: string, token: string) {
  const call = async (method: string, route: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Json) : {};
  };
  return {
    call,
    /** Polls `route` every `intervalMs` until its `status` is no longer queued or running. */
    async settle(route: string, intervalMs = 500): Promise<Json> {
      for (;;) {
        const value = await call('GET', route);
        if (!['queued', 'running', 'pending'].includes(String(value.status))) return value;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
  };
}
