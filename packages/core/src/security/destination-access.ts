import { BackupError } from '../errors.js';
import type { AccessPolicy } from './access-policy.js';
import { destinationEndpoints } from './destination-endpoints.js';

export { type DestinationEndpoint, destinationEndpoints } from './destination-endpoints.js';

/**
 * Destination fields only the host may set: they make a driver read a file of the server
 * (service-account keys, shared credentials and config files, CA bundles) or replace its
 * client, credential provider or transport. A job naming one is refused, whatever its value.
 */
export const hostOnlyDestinationFields: readonly string[] = [
  'key_filename',
  'keyfile',
  'key_file',
  'key_path',
  'credentials_file',
  'credential_file',
  'credentials_path',
  'application_credentials',
  'google_application_credentials',
  'shared_credentials_file',
  'config_file',
  'ca_file',
  'cert_file',
  'profile',
  'client',
  'client_config',
  'credential',
  'credentials_provider',
  'request_handler',
  'http_agent',
  'agent',
];

function normalized(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

const HOST_ONLY = new Set(hostOnlyDestinationFields.map(normalized));
const MAX_DEPTH = 4;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first host-only field of a destination (dotted path), nested objects included. */
function hostOnlyField(config: Record<string, unknown>, prefix = '', depth = 0): string | null {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (HOST_ONLY.has(normalized(key))) return prefix + key;
    if (isRecord(value) && depth < MAX_DEPTH) {
      const nested = hostOnlyField(value, `${prefix}${key}.`, depth + 1);
      if (nested) return nested;
    }
  }
  return null;
}

function forbidden(field: string, issue: string, message: string, cause?: unknown): BackupError {
  return new BackupError('forbidden', message, {
    details: { field: `destination.${field}`, issue },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** `https://host:port`: what an endpoint is called in messages (no credentials, path or query). */
function shown(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * Checks what a job's destination makes the server touch: host-only fields are refused, and
 * every endpoint it names itself (see `destinationEndpoints`) must be allowed by the host's
 * `policy.allowEndpoint` — without that hook every such endpoint is refused.
 * @throws BackupError `forbidden` (details `{ field, issue }`, issue `host_only_field` or
 * `endpoint_not_allowed`); BackupError `invalid_backup_config` for an endpoint that is not an
 * http(s) URL. Messages name the endpoint's origin, never credentials.
 */
export async function checkDestinationAccess(
  destination: Record<string, unknown>,
  policy: AccessPolicy,
): Promise<void> {
  const hostOnly = hostOnlyField(destination);
  if (hostOnly) {
    throw forbidden(
      hostOnly,
      'host_only_field',
      `destination.${hostOnly} can only be set by the server's own configuration`,
    );
  }
  for (const { field, url } of destinationEndpoints(destination)) {
    let allowed = false;
    let cause: unknown;
    if (policy.allowEndpoint) {
      try {
        // A copy: the hook must not change what the driver connects to.
        allowed = (await policy.allowEndpoint(new URL(url.href))) === true;
      } catch (error) {
        cause = error;
      }
    }
    if (!allowed) {
      throw forbidden(
        field,
        'endpoint_not_allowed',
        `destination.${field} names the endpoint ${shown(url)}, which this server does not allow`,
        cause,
      );
    }
  }
}
