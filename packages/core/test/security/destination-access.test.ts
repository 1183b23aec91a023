import {
  type AccessPolicy,
  checkDestinationAccess,
  destinationEndpoints,
  hostOnlyDestinationFields,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const SIG = 'SIGsecret_5d1a';
const KEY = 'KEYsecret_77e0==';

function endpoints(destination: Record<string, unknown>): Array<[string, string]> {
  return destinationEndpoints(destination).map(({ field, url }) => [field, url.href]);
}

async function refusal(destination: Record<string, unknown>, policy: AccessPolicy): Promise<unknown> {
  try {
    await checkDestinationAccess(destination, policy);
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('destinationEndpoints', () => {
  it('lists every endpoint field, in any spelling', () => {
    expect(
      endpoints({
        type: 's3',
        bucket: 'b',
        endpoint: 'http://127.0.0.1:9000',
        service_url: 'https://svc.example/x',
        apiEndpoint: 'storage.example.com:8443',
        blob_endpoint: 'https://blob.example',
        region: 'us-east-1',
      }),
    ).toEqual([
      ['endpoint', 'http://127.0.0.1:9000/'],
      ['service_url', 'https://svc.example/x'],
      // The GCS client prefixes https:// to an endpoint without a scheme.
      ['apiEndpoint', 'https://storage.example.com:8443/'],
      ['blob_endpoint', 'https://blob.example/'],
    ]);
    expect(endpoints({ type: 'local', path: 'x' })).toEqual([]);
    expect(endpoints({ type: 's3', endpoint: '', bucket: 'b' })).toEqual([]);
  });

  it('reads an Azure connection string as the SDK does: BlobEndpoint, development storage, proxy, suffix', () => {
    expect(
      endpoints({
        connection_string: `DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=${KEY};BlobEndpoint=http://10.0.0.5:10000/dev/;`,
      }),
    ).toEqual([['connection_string', 'http://10.0.0.5:10000/dev']]);
    expect(endpoints({ connection_string: 'UseDevelopmentStorage=true' })).toEqual([
      ['connection_string', 'http://127.0.0.1:10000/devstoreaccount1'],
    ]);
    expect(
      endpoints({
        connection_string: 'UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://proxy.internal:3128',
      }),
    ).toEqual([
      ['connection_string', 'http://127.0.0.1:10000/devstoreaccount1'],
      ['connection_string', 'http://proxy.internal:3128/'],
    ]);
    expect(
      endpoints({
        connection_string: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=attacker.example`,
      }),
    ).toEqual([['connection_string', 'https://acct.blob.attacker.example/']]);
    // The public cloud for a real account name is where the driver goes anyway: not a choice.
    expect(
      endpoints({
        connection_string: `DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      }),
    ).toEqual([]);
    // A postgres connection string is no storage endpoint.
    expect(endpoints({ connection_string: 'postgresql://u:p@db/x' })).toEqual([]);
  });

  it('reports an Azure account "name" that would move the default endpoint elsewhere', () => {
    expect(endpoints({ type: 'azure', account: 'evil.example#' })).toEqual([
      ['account', 'https://evil.example/#.blob.core.windows.net'],
    ]);
    expect(endpoints({ type: 'azure', account: 'acct1', account_key: KEY })).toEqual([]);
  });

  it('refuses to skip what it cannot read', () => {
    for (const bad of [
      { endpoint: 'ftp://files.example/' },
      { endpoint: 'file:///etc/passwd' },
      { endpoint: '://nohost' },
      { endpoint: 42 },
      { connection_string: 'BlobEndpoint=not a url;SharedAccessSignature=sv=1&sig=x' },
    ]) {
      let error: unknown;
      try {
        destinationEndpoints(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(bad)).toMatchObject({
        code: 'invalid_backup_config',
        details: { issue: 'invalid_endpoint', field: expect.stringMatching(/^destination\./) },
      });
    }
  });
});

describe('checkDestinationAccess', () => {
  const sasEndpoint = `https://acct1.blob.core.windows.net/?sv=2022-11-02&sig=${SIG}`;

  it('refuses every self-named endpoint without an allowEndpoint hook, and never shows credentials', async () => {
    const error = (await refusal({ type: 'azure', endpoint: sasEndpoint }, {})) as Error & {
      code: string;
      details: unknown;
    };
    expect(error).toMatchObject({
      code: 'forbidden',
      details: { field: 'destination.endpoint', issue: 'endpoint_not_allowed' },
    });
    expect(error.message).toContain('https://acct1.blob.core.windows.net');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(SIG);

    const userinfo = (await refusal(
      { type: 's3', endpoint: 'http://user:pa55word@10.0.0.9:9000' },
      {},
    )) as Error;
    expect(userinfo.message).not.toContain('pa55word');
    await expect(checkDestinationAccess({ type: 'local', path: 'daily' }, {})).resolves.toBeUndefined();
  });

  it('asks the hook for each endpoint and follows its answer', async () => {
    const asked: string[] = [];
    const policy: AccessPolicy = {
      allowEndpoint: async (url) => {
        asked.push(url.host);
        return url.hostname.endsWith('.blob.core.windows.net');
      },
    };
    await expect(
      checkDestinationAccess({ type: 'azure', endpoint: sasEndpoint }, policy),
    ).resolves.toBeUndefined();
    const error = await refusal(
      {
        type: 'azure',
        connection_string: `DefaultEndpointsProtocol=http;AccountName=a;AccountKey=${KEY};BlobEndpoint=http://169.254.169.254/latest`,
      },
      policy,
    );
    expect(error).toMatchObject({
      code: 'forbidden',
      details: { field: 'destination.connection_string', issue: 'endpoint_not_allowed' },
    });
    expect(JSON.stringify((error as Error).message)).not.toContain(KEY);
    expect(asked).toEqual(['acct1.blob.core.windows.net', '169.254.169.254']);

    // A hook that throws or answers anything but true refuses.
    const throwing: AccessPolicy = {
      allowEndpoint: () => {
        throw new Error('hook broke');
      },
    };
    expect(await refusal({ endpoint: 'https://x.example' }, throwing)).toMatchObject({ code: 'forbidden' });
    const truthy = { allowEndpoint: () => 'yes' } as unknown as AccessPolicy;
    expect(await refusal({ endpoint: 'https://x.example' }, truthy)).toMatchObject({ code: 'forbidden' });
  });

  it('refuses host-only fields whatever the hook says, nested ones too', async () => {
    const allowAll: AccessPolicy = { allowEndpoint: () => true };
    expect(hostOnlyDestinationFields).toEqual(
      expect.arrayContaining(['key_filename', 'credentials_file', 'client']),
    );
    for (const [destination, field] of [
      [{ type: 'gcs', bucket: 'b', key_filename: '/etc/shadow' }, 'destination.key_filename'],
      [{ type: 'gcs', bucket: 'b', keyFilename: '/root/key.json' }, 'destination.keyFilename'],
      [
        { type: 's3', bucket: 'b', credentials_file: '/root/.aws/credentials' },
        'destination.credentials_file',
      ],
      [{ type: 's3', bucket: 'b', client: {} }, 'destination.client'],
      [{ type: 's3', bucket: 'b', options: { keyfile: '/k' } }, 'destination.options.keyfile'],
    ] as const) {
      expect(await refusal(destination, allowAll), field).toMatchObject({
        code: 'forbidden',
        details: { field, issue: 'host_only_field' },
      });
    }
  });
});
