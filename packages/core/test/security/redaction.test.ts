import {
  findSecretSpans,
  isSecretField,
  maskSecrets,
  redactText,
  redactValue,
  replaceSpans,
  secretValuesOf,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { maskSecrets as notifierMask } from '../../src/notify/notifier.js';
import { scrub } from '../../src/sources/postgres/connection.js';

/** [input, the secret that must go, parts that must stay, exact masked form (when pinned)] */
type Shape = [input: string, secrets: string[], kept: string[], masked?: string];

const SHAPES: Shape[] = [
  [
    'postgresql://app:s3cr%40t/x@db.example.com:5432/app',
    ['s3cr%40t/x', 's3cr'],
    ['postgresql://app:', '@db.example.com:5432/app'],
    'postgresql://app:***@db.example.com:5432/app',
  ],
  [
    'postgresql://u:p@ss/w?rd@host/db',
    ['p@ss/w?rd', 'ss/w'],
    ['postgresql://u:', '@host/db'],
    'postgresql://u:***@host/db',
  ],
  [
    'postgresql://host/db?user=u&password=hunter2&sslmode=require',
    ['hunter2'],
    ['user=u', 'sslmode=require'],
    'postgresql://host/db?user=u&password=***&sslmode=require',
  ],
  [
    'postgresql://host/db?user=u&pass%77ord=hunter2x&sslmode=require',
    ['hunter2x'],
    ['pass%77ord=', 'sslmode=require'],
    'postgresql://host/db?user=u&pass%77ord=***&sslmode=require',
  ],
  ['postgresql://host/db?%70assword=hunter3&x=1', ['hunter3'], ['%70assword=', 'x=1']],
  ['postgresql://host/db?PassWord=hunter4', ['hunter4'], ['PassWord=']],
  [
    'postgresql://u:pw9@h/db?application_name=me@x&sslpassword=k3y',
    ['pw9', 'k3y'],
    ['application_name=me@x'],
    'postgresql://u:***@h/db?application_name=me@x&sslpassword=***',
  ],
  [
    "host=db port=5432 password='p w' dbname=app",
    ['p w'],
    ['host=db port=5432', 'dbname=app'],
    'host=db port=5432 password=*** dbname=app',
  ],
  [
    "host=db password = 'it\\'s \\\\ spaced' dbname=app",
    ["it\\'s", 'spaced'],
    ['dbname=app'],
    'host=db password = *** dbname=app',
  ],
  ['host=db user=app password=topsecret dbname=app', ['topsecret'], ['user=app', 'dbname=app']],
  [
    'DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=KEYabc+/==;EndpointSuffix=core.windows.net',
    ['KEYabc+/=='],
    ['AccountName=acct1', 'EndpointSuffix=core.windows.net', 'AccountKey='],
    'DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=***;EndpointSuffix=core.windows.net',
  ],
  [
    'BlobEndpoint=https://acct1.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=SIGxyz%3D',
    ['SIGxyz', 'sv=2022-11-02'],
    ['BlobEndpoint=https://acct1.blob.core.windows.net/;SharedAccessSignature='],
    'BlobEndpoint=https://acct1.blob.core.windows.net/;SharedAccessSignature=***',
  ],
  [
    'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=SAKabc=',
    ['SAKabc='],
    ['SharedAccessKeyName=root'],
  ],
  [
    'Server=db;User Id=app;Password=x y;Database=d',
    ['x y'],
    ['Server=db', 'User Id=app', 'Database=d'],
    'Server=db;User Id=app;Password=***;Database=d',
  ],
  [
    'https://acct1.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rwdl&se=2030-01-01T00:00:00Z&sig=SIG%2Babc%3D',
    ['SIG%2Babc%3D'],
    ['sv=2022-11-02', 'sp=rwdl', 'se=2030-01-01T00:00:00Z', 'https://acct1.blob.core.windows.net/c?'],
    'https://acct1.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rwdl&se=2030-01-01T00:00:00Z&sig=***',
  ],
  [
    'GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101&X-Amz-Security-Token=TOKxyz&X-Amz-Signature=deadbeef01 failed',
    ['deadbeef01', 'AKIAEXAMPLE', 'TOKxyz'],
    ['X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Signature=', ' failed'],
  ],
  [
    'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=abcdef12',
    ['abcdef12'],
    ['X-Goog-Algorithm=GOOG4-RSA-SHA256'],
  ],
  [
    'request failed\nAuthorization: Bearer tok_ABCDEFGH123\nHost: x',
    ['tok_ABCDEFGH123'],
    ['Authorization: Bearer ', 'Host: x'],
    'request failed\nAuthorization: Bearer ***\nHost: x',
  ],
  ['Authorization: Basic dXNlcjpwYXNz', ['dXNlcjpwYXNz'], ['Authorization: Basic ']],
  ['X-API-Key: k_9f8e7d6c', ['k_9f8e7d6c'], ['X-API-Key: ']],
  [
    '{"headers":{"authorization":"Bearer eyJhbGciOi.abc.def"},"ok":1}',
    ['eyJhbGciOi'],
    ['"authorization":"Bearer ', '"},"ok":1}'],
  ],
  ['called with bearer AbCdEf0123456789', ['AbCdEf0123456789'], ['called with bearer ']],
  [
    'connect ECONNREFUSED postgresql://app:hunter2@db:5432/x (retrying)',
    ['hunter2'],
    ['connect ECONNREFUSED postgresql://app:', '@db:5432/x (retrying)'],
  ],
  ['login failed: password=abc123 token=t0k3n', ['abc123', 't0k3n'], ['login failed: ']],
];

describe('findSecretSpans / maskSecrets: one rule for every shape', () => {
  it.each(SHAPES)('%s', (input, secrets, kept, masked) => {
    const out = maskSecrets(input);
    for (const secret of secrets) expect(out).not.toContain(secret);
    for (const part of kept) expect(out).toContain(part);
    expect(out).toContain('***');
    if (masked !== undefined) expect(out).toBe(masked);
    // Every caller applies the same rule.
    expect(notifierMask(input)).toBe(out);
    expect(redactText(input)).toBe(out);
    // Spans put back restore the input byte for byte (what sealing relies on).
    const spans = findSecretSpans(input);
    const texts = spans.map((s) => input.slice(s.start, s.end));
    const placed = replaceSpans(input, spans, () => '***');
    expect(placed).toBe(out);
    let cursor = 0;
    let rebuilt = '';
    for (const [i, span] of spans.entries()) {
      rebuilt += input.slice(cursor, span.start) + texts[i];
      cursor = span.end;
    }
    expect(rebuilt + input.slice(cursor)).toBe(input);
  });

  it('leaves text without secrets alone and is idempotent', () => {
    for (const plain of [
      '',
      '/var/run/postgresql',
      'postgres://user@host:5432/db',
      'https://acct1.blob.core.windows.net/c?sv=2022-11-02&comp=list',
      'Backup of job_1 failed: table users not found',
      'a bearer of bad news',
      '{"a":"b"}',
    ]) {
      expect(maskSecrets(plain)).toBe(plain);
    }
    for (const [input] of SHAPES) expect(maskSecrets(maskSecrets(input))).toBe(maskSecrets(input));
  });

  it('keeps JSON text parseable while masking inside it', () => {
    const json = JSON.stringify({
      message: 'failed for postgresql://u:pw"x@h/db with password=abc"def',
      header: 'Authorization: Bearer abcdefghijk',
    });
    const masked = maskSecrets(json);
    expect(() => JSON.parse(masked)).not.toThrow();
    expect(masked).not.toContain('abcdefghijk');
    expect(masked).not.toContain('abc');
  });

  it('stays linear on hostile input', () => {
    const started = performance.now();
    for (const hostile of [
      'a://'.repeat(50_000),
      `${'&'.repeat(100_000)}password=`,
      'https://h/?password='.repeat(20_000),
      '?sig='.repeat(50_000),
      'password='.repeat(30_000),
      'authorization: '.repeat(20_000),
      `x;${' '.repeat(99)}`.repeat(3_000),
      'Password=a;'.repeat(30_000),
      ';'.repeat(100_000),
      `postgresql://${'@'.repeat(50_000)}`,
      `${'a '.repeat(50_000)};`,
      `Authorization:${' '.repeat(100_000)}`,
    ]) {
      maskSecrets(hostile);
    }
    // Quadratic scans take minutes on these; linear ones well under a second.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('redactText / redactValue', () => {
  it('replaces listed secrets (longest first, 6+ characters) and masks every span', () => {
    expect(redactText('token abcdef and abcdefgh', ['abcdef', 'abcdefgh'])).toBe('token *** and ***');
    expect(redactText('short abc stays', ['abc'])).toBe('short abc stays');
    expect(redactText('short abcd goes', ['abcd'], { minSecretLength: 4 })).toBe('short *** goes');
    expect(redactText('see postgresql://u:pw@h/db', [])).toBe('see postgresql://u:***@h/db');
  });

  it('copies JSON-like values deeply, masking every string and keeping other values', () => {
    const when = new Date('2024-01-01T00:00:00Z');
    const input = {
      a: ['postgresql://u:pw1@h/db', { b: 'AccountName=x;AccountKey=K3Y==' }],
      n: 5,
      t: true,
      none: null,
      when,
      free: 'the api token is s3cr3t-token-value',
    };
    const out = redactValue(input, ['s3cr3t-token-value']);
    expect(out).toEqual({
      a: ['postgresql://u:***@h/db', { b: 'AccountName=x;AccountKey=***' }],
      n: 5,
      t: true,
      none: null,
      when,
      free: 'the api token is ***',
    });
    expect(input.a[0]).toBe('postgresql://u:pw1@h/db');
  });
});

describe('isSecretField / secretValuesOf', () => {
  it('names credential fields in any spelling, not connection strings or key ids', () => {
    for (const name of [
      'password',
      'secret_access_key',
      'secretAccessKey',
      'session_token',
      'account_key',
      'sas_token',
      'private_key',
      'client_secret',
      'token',
      'api_key',
      'db_password',
    ]) {
      expect(isSecretField(name), name).toBe(true);
    }
    for (const name of ['connection_string', 'key_id', 'encryption_key', 'access_key_id', 'endpoint', 'path'])
      expect(isSecretField(name), name).toBe(false);
  });

  it('lists whole secret fields and every span, raw, decoded and unquoted', () => {
    const values = secretValuesOf({
      secret_access_key: 'SAK/abc',
      nested: {
        connection_string: 'postgresql://u:p%40ss+1@h/db',
        endpoint: 'https://a.blob.core.windows.net/?sv=1&sig=S%2BG',
      },
      libpq: ["host=h password='it\\'s'"],
      plain: 'nothing here',
    });
    expect(values).toEqual(
      expect.arrayContaining(['SAK/abc', 'p%40ss+1', 'p@ss+1', 'p@ss 1', 'S%2BG', 'S+G', "'it\\'s'", "it's"]),
    );
    expect(values).not.toContain('nothing here');
    expect(values).not.toContain('');
  });

  it('lets the postgres scrub remove a decoded password from a driver message', () => {
    const cs = 'postgresql://app:p%40ss%2Fw0rd@db:5432/x';
    const message = `password authentication failed (tried "p@ss/w0rd") for ${cs}`;
    const out = scrub(message, cs);
    expect(out).not.toContain('p@ss/w0rd');
    expect(out).not.toContain('p%40ss');
    expect(out).toContain('postgresql://app:***@db:5432/x');
  });
});
