/**
 * Config field names whose whole value is a credential (compared lower-cased, without `_`,
 * `-` or spaces, so `secret_access_key`, `secretAccessKey` and `Secret-Access-Key` agree).
 * `connection_string` is not one of them: its secrets are spans inside it (see secret-spans.ts).
 */
const EXACT = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'sas',
  'sastoken',
  'secretaccesskey',
  'secretkey',
  'sessiontoken',
  'securitytoken',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'bearertoken',
  'apikey',
  'accountkey',
  'sharedaccesskey',
  'sharedaccesssignature',
  'privatekey',
  'clientsecret',
  'sslpassword',
]);

/** Suffixes that make any name a credential: `db_password`, `webhook_secret`, `gcs_private_key`. */
const SUFFIXES = ['password', 'passwd', 'secret', 'privatekey', 'accountkey', 'secretkey', 'apikey'];

function normalized(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** True when a config field of this name holds a credential as its whole value (sealed, shown as `***`). */
export function isSecretField(name: string): boolean {
  const key = normalized(name);
  return EXACT.has(key) || SUFFIXES.some((suffix) => key.endsWith(suffix));
}
