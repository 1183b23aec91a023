import { BackupError } from '../errors.js';

/** An endpoint a destination names itself, and the field (dotted path) that names it. */
export interface DestinationEndpoint {
  field: string;
  url: URL;
}

/** Fields holding an endpoint URL, compared lower-cased without `_`, `-` or spaces. */
const ENDPOINT_FIELDS = new Set([
  'endpoint',
  'endpointurl',
  'serviceurl',
  'apiendpoint',
  'blobendpoint',
  'url',
  'baseurl',
  'proxy',
  'proxyurl',
]);
const CONNECTION_STRING_FIELDS = new Set(['connectionstring']);
const ACCOUNT_FIELDS = new Set(['account', 'accountname']);
/** Nested objects walked (destinations are flat; this only bounds hostile input). */
const MAX_DEPTH = 4;
/** Where the Azure SDK sends `UseDevelopmentStorage=true`. */
const AZURE_DEVELOPMENT_BLOB_ENDPOINT = 'http://127.0.0.1:10000/devstoreaccount1';
/** The public Azure cloud's blob host for a valid account name: not an endpoint a job chose. */
const PUBLIC_AZURE_BLOB = /^https?:\/\/[a-z0-9]{3,24}\.blob\.core\.windows\.net$/;
const AZURE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** What the GCS client takes for a scheme; without one it prefixes `https://`. */
const HAS_SCHEME = /^(\w*):\/\//;

function normalized(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidEndpoint(field: string): BackupError {
  return new BackupError(
    'invalid_backup_config',
    `destination.${field} is not a valid http(s) endpoint URL`,
    {
      details: { field: `destination.${field}`, issue: 'invalid_endpoint' },
    },
  );
}

/**
 * The URL a client connects to for an endpoint value, as the drivers read it (a value without
 * a scheme gets `https://`, as the GCS client does).
 * @throws BackupError `invalid_backup_config` for anything but an http(s) URL.
 */
function endpointUrl(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(HAS_SCHEME.test(value) ? value : `https://${value}`);
  } catch {
    throw invalidEndpoint(field);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalidEndpoint(field);
  }
  return url;
}

/** `Name=value` settings of an Azure-style connection string, names lower-cased; repeated names all kept. */
function settingsOf(connectionString: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const element of connectionString.split(';')) {
    const eq = element.indexOf('=');
    if (eq <= 0) continue;
    out.push([normalized(element.slice(0, eq).trim()), element.slice(eq + 1).trim()]);
  }
  return out;
}

/**
 * Endpoints an Azure-style connection string makes the client call: `BlobEndpoint`,
 * `DevelopmentStorageProxyUri`, the development storage of `UseDevelopmentStorage=true`, and
 * `<protocol>://<AccountName>.blob.<EndpointSuffix>` unless that is the public cloud. Names
 * are matched case-insensitively and every occurrence counts: more than the SDK reads, never less.
 */
function azureEndpoints(connectionString: string): string[] {
  const settings = settingsOf(connectionString);
  const first = (name: string) => settings.find(([key]) => key === name)?.[1];
  const out: string[] = [];
  for (const [key, value] of settings) {
    if (key === 'blobendpoint' || key === 'developmentstorageproxyuri') out.push(value.replace(/\/$/, ''));
    else if (key === 'usedevelopmentstorage' && value.toLowerCase() === 'true')
      out.push(AZURE_DEVELOPMENT_BLOB_ENDPOINT);
    else if (key === 'endpointsuffix') {
      const protocol = first('defaultendpointsprotocol') ?? 'https';
      const derived = `${protocol}://${first('accountname') ?? ''}.blob.${value}`;
      if (!PUBLIC_AZURE_BLOB.test(derived)) out.push(derived);
    }
  }
  return out;
}

function looksLikeSettings(value: string): boolean {
  return !HAS_SCHEME.test(value) && value.includes('=');
}

function collect(config: Record<string, unknown>, prefix: string, depth: number, out: DestinationEndpoint[]) {
  const names = new Set(Object.keys(config).map(normalized));
  for (const [key, value] of Object.entries(config)) {
    const field = prefix + key;
    const name = normalized(key);
    if (ENDPOINT_FIELDS.has(name)) {
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') throw invalidEndpoint(field);
      out.push({ field, url: endpointUrl(value.trim(), field) });
    } else if (CONNECTION_STRING_FIELDS.has(name) && typeof value === 'string' && looksLikeSettings(value)) {
      for (const endpoint of azureEndpoints(value)) out.push({ field, url: endpointUrl(endpoint, field) });
    } else if (ACCOUNT_FIELDS.has(name) && typeof value === 'string' && !AZURE_ACCOUNT_NAME.test(value)) {
      // Without an endpoint or connection string the Azure driver calls https://<account>.blob.core.windows.net:
      // an account "name" carrying a host or path would point that anywhere.
      const chosenElsewhere = [...ENDPOINT_FIELDS, ...CONNECTION_STRING_FIELDS].some((n) => names.has(n));
      if (!chosenElsewhere && value !== '')
        out.push({ field, url: endpointUrl(`https://${value}.blob.core.windows.net`, field) });
    } else if (isRecord(value) && depth < MAX_DEPTH) {
      collect(value, `${field}.`, depth + 1, out);
    }
  }
}

/**
 * Every endpoint a destination names itself: string fields `endpoint`, `service_url`,
 * `api_endpoint`, `blob_endpoint`, `url`, `proxy` (any spelling, nested objects included); an
 * Azure-style `connection_string`'s `BlobEndpoint`, proxy, development storage or endpoint
 * suffix; an Azure `account` that is not a plain account name. Fields are dotted paths
 * without the `destination.` prefix.
 * @throws BackupError `invalid_backup_config` (details `{ field, issue: 'invalid_endpoint' }`)
 * for an endpoint that is not an http(s) URL: it is reported, never skipped.
 */
export function destinationEndpoints(destination: Record<string, unknown>): DestinationEndpoint[] {
  const out: DestinationEndpoint[] = [];
  collect(destination, '', 0, out);
  return out;
}
