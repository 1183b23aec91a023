import { describe, expect, it } from 'vitest';
import { parseDestinationUrl } from '../src/destination-url.js';

describe('destination URLs', () => {
  it('file:///path is a local directory', () => {
    expect(parseDestinationUrl('file:///var/backups/db')).toEqual({
      kind: 'file',
      root: '/var/backups/db',
      display: '/var/backups/db',
    });
  });

  it('s3://bucket/prefix with endpoint, region and path style from the query, flags winning', () => {
    const parsed = parseDestinationUrl(
      's3://bk/app/daily?endpoint=http://127.0.0.1:9000&path_style=true&region=eu-west-3',
    );
    expect(parsed).toEqual({
      kind: 'cloud',
      display: 's3://bk/app/daily',
      config: {
        type: 's3',
        bucket: 'bk',
        path: 'app/daily/',
        region: 'eu-west-3',
        endpoint: 'http://127.0.0.1:9000',
        force_path_style: true,
      },
    });
    const flagged = parseDestinationUrl('s3://bk?region=eu-west-3', {
      region: 'us-west-2',
      endpoint: 'https://s3.example',
    });
    expect(flagged.kind === 'cloud' && flagged.config).toMatchObject({
      region: 'us-west-2',
      endpoint: 'https://s3.example',
      path: '',
    });
    const fromEnv = parseDestinationUrl('s3://bk/x', {}, { AWS_REGION: 'ap-south-1' });
    expect(fromEnv.kind === 'cloud' && fromEnv.config.region).toBe('ap-south-1');
  });

  it('azure://account/container/prefix takes its key or connection string from the Azure variables', () => {
    expect(parseDestinationUrl('azure://acct/backups/db', {}, { AZURE_STORAGE_KEY: 'a2V5' })).toMatchObject({
      config: { type: 'azure', account: 'acct', container: 'backups', path: 'db/', account_key: 'a2V5' },
    });
    const connection =
      'DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/acct';
    expect(
      parseDestinationUrl('azure://acct/backups', {}, { AZURE_STORAGE_CONNECTION_STRING: connection }),
    ).toMatchObject({
      config: { type: 'azure', container: 'backups', connection_string: connection },
    });
    expect(() => parseDestinationUrl('azure://acct')).toThrow(/needs a container/);
  });

  it('gs://bucket/prefix with an emulator endpoint and a project', () => {
    expect(parseDestinationUrl('gs://bk/db?endpoint=http://127.0.0.1:4443&project=p1')).toMatchObject({
      config: { type: 'gcs', bucket: 'bk', path: 'db/', endpoint: 'http://127.0.0.1:4443', project_id: 'p1' },
    });
  });

  it('refuses credentials in the URL without echoing them, and malformed input', () => {
    let message = '';
    try {
      parseDestinationUrl('s3://AKIAEXAMPLE:wJalrXUtnFEMIsecret@bucket/x');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/Credentials do not belong/);
    expect(message).not.toContain('wJalrXUtnFEMIsecret');
    expect(() => parseDestinationUrl('/var/backups')).toThrow(/Not a destination URL/);
    expect(() => parseDestinationUrl('s3://bk?endpoint=ftp://x')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parseDestinationUrl('s3://bk?path_style=maybe')).toThrow(/path_style must be true or false/);
    expect(() => parseDestinationUrl('file://host/x')).toThrow(/local directory/);
  });
});
