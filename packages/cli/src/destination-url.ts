import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DestinationConfig, maskSecrets } from '@backupkit/core';
import { usageError } from './usage-error.js';

/** Where a repository lives: a local directory, or a destination config for a driver package. */
export type ParsedDestination =
  | { kind: 'file'; root: string; display: string }
  | { kind: 'cloud'; config: DestinationConfig; display: string };

/** Connection settings given as flags; they win over the URL's query parameters. */
export interface DestinationFlags {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

export const DESTINATION_HELP = `Destinations:
  file:///var/backups/db                 a local directory
  s3://bucket/prefix?region=eu-west-1    Amazon S3; ?endpoint=URL&path_style=true for S3-compatible
                                         stores. Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
                                         AWS_PROFILE and the rest of the AWS SDK's chain
  azure://account/container/prefix       Azure Blob Storage; ?endpoint=URL for Azurite. Credentials:
                                         AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_KEY
  gs://bucket/prefix                     Google Cloud Storage; ?endpoint=URL&project=ID. Credentials:
                                         Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS)`;

const QUERY_FIELDS: Record<string, readonly string[]> = {
  s3: ['endpoint', 'region', 'path_style', 'storage_class'],
  azure: ['endpoint', 'storage_class'],
  gs: ['endpoint', 'project', 'storage_class'],
};

/**
 * Parses a destination URL. Credentials never come from the URL (they would end up in shell
 * history and process listings): a URL carrying a user or password is refused.
 * @throws BackupError `invalid_request` (exit 2) naming what is wrong, never echoing secrets.
 */
export function parseDestinationUrl(
  raw: string,
  flags: DestinationFlags = {},
  env: Record<string, string | undefined> = {},
): ParsedDestination {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(
      `Not a destination URL: "${maskSecrets(raw)}" (expected file:///path, s3://bucket/prefix, azure://account/container/prefix or gs://bucket/prefix)`,
      'destination',
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (url.username || url.password) {
    throw usageError(
      `Credentials do not belong in the destination URL; use the storage SDK's environment variables`,
      'destination',
    );
  }
  if (scheme === 'file') return fileDestination(url);
  const allowed = QUERY_FIELDS[scheme];
  if (!allowed) {
    throw usageError(
      `Unsupported destination scheme "${scheme}:" (use file, s3, azure or gs)`,
      'destination',
    );
  }
  const query = Object.fromEntries(url.searchParams.entries());
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) {
      throw usageError(`Unknown parameter "${name}" in a ${scheme}:// URL (known: ${allowed.join(', ')})`);
    }
  }
  const segments = decodeURIComponent(url.pathname)
    .split('/')
    .filter((s) => s.length > 0);
  const host = decodeURIComponent(url.hostname);
  if (!host) throw usageError(`A ${scheme}:// URL needs a ${scheme === 'azure' ? 'account' : 'bucket'}`);
  const endpoint = flags.endpoint ?? query.endpoint;
  if (endpoint !== undefined) checkEndpoint(endpoint);
  const storageClass = query.storage_class ? { storage_class: query.storage_class } : {};
  const display = maskSecrets(`${scheme}://${host}/${segments.join('/')}`);
  if (scheme === 's3') {
    const region = flags.region ?? query.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const pathStyle = flags.pathStyle ?? parseBoolean(query.path_style, 'path_style');
    return {
      kind: 'cloud',
      display,
      config: {
        type: 's3',
        bucket: host,
        path: prefixOf(segments),
        region,
        ...(endpoint ? { endpoint } : {}),
        ...(pathStyle === undefined ? {} : { force_path_style: pathStyle }),
        ...storageClass,
      },
    };
  }
  if (scheme === 'azure') {
    const [container, ...rest] = segments;
    if (!container) throw usageError('An azure:// URL needs a container: azure://account/container/prefix');
    return {
      kind: 'cloud',
      display,
      config: {
        type: 'azure',
        container,
        path: prefixOf(rest),
        ...azureCredentials(host, endpoint, env),
        ...storageClass,
      },
    };
  }
  return {
    kind: 'cloud',
    display,
    config: {
      type: 'gcs',
      bucket: host,
      path: prefixOf(segments),
      ...(endpoint ? { endpoint } : {}),
      ...(query.project ? { project_id: query.project } : {}),
      ...storageClass,
    },
  };
}

function fileDestination(url: URL): ParsedDestination {
  if (url.search || url.hash) throw usageError('A file:// URL takes no parameters', 'destination');
  if (url.hostname && url.hostname !== 'localhost') {
    throw usageError('A file:// URL names a local directory: file:///absolute/path', 'destination');
  }
  const root = path.resolve(fileURLToPath(url));
  return { kind: 'file', root, display: root };
}

/** Account from the URL; its key or connection string from the Azure SDK's variables. */
function azureCredentials(
  account: string,
  endpoint: string | undefined,
  env: Record<string, string | undefined>,
): Record<string, string> {
  if (env.AZURE_STORAGE_CONNECTION_STRING) return { connection_string: env.AZURE_STORAGE_CONNECTION_STRING };
  return {
    account,
    ...(env.AZURE_STORAGE_KEY ? { account_key: env.AZURE_STORAGE_KEY } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

function prefixOf(segments: string[]): string {
  return segments.length === 0 ? '' : `${segments.join('/')}/`;
}

function checkEndpoint(endpoint: string): void {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw usageError(`The endpoint "${maskSecrets(endpoint)}" is not a URL`, 'endpoint');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError('The endpoint must be an http:// or https:// URL', 'endpoint');
  }
  if (parsed.username || parsed.password) {
    throw usageError('Credentials do not belong in the endpoint URL', 'endpoint');
  }
}

function parseBoolean(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw usageError(`${field} must be true or false`, field);
}
