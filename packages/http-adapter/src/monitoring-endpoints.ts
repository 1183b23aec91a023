import { BackupError } from '@backupkit/core';
import { redactText } from './redact.js';
import { effectiveRoles } from './roles.js';
import type { BackupHandlerOptions, HttpRequest, HttpResponse, Principal } from './types.js';
import { UI_SECURITY_HEADERS, uiAsset } from './ui-assets.js';

// `GET /metrics` and the analytics page (`GET /ui`), beside the API's routes: off unless the
// host turns them on, so a plain API mount answers them 404 as before.

export interface MonitoringCall {
  method: string;
  segments: string[];
  request: HttpRequest;
  /** The handler's authentication (401 when `required` and the credentials fail). */
  authenticate(required: boolean): Promise<Principal | null>;
  /** Every secret to mask in what is answered. */
  secrets: readonly string[];
}

function methodNotAllowed(method: string): BackupError {
  return new BackupError('method_not_allowed', `Method ${method.slice(0, 20)} is not allowed here`, {
    details: { method: method.slice(0, 20), allowed: ['GET'] },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The answer when the path is a monitoring endpoint the host enabled; null otherwise (the API's
 * routing takes it). Throws `BackupError`s the handler maps like any other.
 */
export async function answerMonitoring(
  options: BackupHandlerOptions,
  call: MonitoringCall,
): Promise<{ response: HttpResponse; principal: Principal | null } | null> {
  const [first, ...rest] = call.segments;
  if (first === 'metrics' && rest.length === 0 && options.metrics) {
    if (call.method !== 'GET') throw methodNotAllowed(call.method);
    return metricsResponse(options, call);
  }
  if (first === 'ui' && rest.length <= 1 && options.ui === true) {
    if (call.method !== 'GET') throw methodNotAllowed(call.method);
    return { response: await pageResponse(options, call, rest[0] ?? ''), principal: null };
  }
  return null;
}

async function metricsResponse(
  options: BackupHandlerOptions,
  call: MonitoringCall,
): Promise<{ response: HttpResponse; principal: Principal | null }> {
  const metrics = options.metrics!;
  const principal = await call.authenticate(!(options.publicActions ?? []).includes('metrics'));
  if (principal) {
    const allowed = metrics.roles ?? ['admin'];
    const roles = effectiveRoles(principal);
    const permitted =
      roles.some((role) => allowed.includes(role)) &&
      (!options.authorize ||
        (await options.authorize(
          principal,
          'metrics',
          { type: 'service', id: null },
          { body: undefined, query: {} },
        )));
    if (!permitted)
      throw new BackupError('forbidden', 'Not allowed: metrics', { details: { action: 'metrics' } });
  }
  // Metrics hold ids, kinds, counts and codes only; masked anyway, like every answer.
  const text = redactText(await metrics.registry.metrics(), call.secrets);
  return {
    response: {
      status: 200,
      headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' },
      raw: text,
    },
    principal,
  };
}

async function pageResponse(
  options: BackupHandlerOptions,
  call: MonitoringCall,
  name: string,
): Promise<HttpResponse> {
  const asset = await uiAsset(name);
  if (!asset) {
    throw new BackupError('not_found', `No endpoint GET ${call.request.path.slice(0, 200)}`, {
      details: { method: 'GET', path: call.request.path.slice(0, 200) },
    });
  }
  let body: string | Buffer = asset.body;
  if (name === '') {
    // The page finds its files and the API under the mount prefix, whatever it is.
    const base = escapeHtml(call.request.basePath ?? options.basePath ?? '/backup');
    body = asset.body.toString('utf8').replaceAll('%BASE%', base);
  }
  return { status: 200, headers: { 'content-type': asset.contentType, ...UI_SECURITY_HEADERS }, raw: body };
}
