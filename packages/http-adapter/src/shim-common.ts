import type { HttpRequest, HttpResponse } from './types.js';

/** Splits a raw request URL (`/jobs?limit=5`) into its path and single/multi-valued query. */
export function splitUrl(url: string): { path: string; query: Record<string, string | string[]> } {
  const question = url.indexOf('?');
  const path = question < 0 ? url : url.slice(0, question);
  const query: Record<string, string | string[]> = {};
  if (question >= 0) {
    for (const [key, value] of new URLSearchParams(url.slice(question + 1))) {
      const previous = query[key];
      if (previous === undefined) query[key] = value;
      else query[key] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
  }
  return { path: path === '' ? '/' : path, query };
}

/** Serialises a neutral response: its raw bytes or text, its JSON body, or nothing for 204. */
export function serializeBody(response: HttpResponse): string | Uint8Array | undefined {
  if (response.raw !== undefined) return response.raw;
  return response.body === undefined ? undefined : JSON.stringify(response.body);
}

export type NeutralHeaders = HttpRequest['headers'];
