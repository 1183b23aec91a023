import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TempDatabase } from '../../../../test-support/postgres.js';
import { createSourceDatabase } from '../support/fixture.js';
import { type Json, type SecureExample, startSecureExample } from './support.js';

const hex = () => randomBytes(8).toString('hex');

describe('credentials in sources and destinations are sealed at rest and masked everywhere', () => {
  // Shaped like the real thing (base64 key, SAS signature, URL-encoded parameter name).
  const sentinels = {
    accountKey: `SENTINELKEY${hex()}${hex()}==`,
    sasSignature: `SENTINELSIG${hex()}`,
    encodedPassword: `SENTINELPW${hex()}`,
    userinfoPassword: `SENTINELUI${hex()}`,
    secretAccessKey: `SENTINELAK${hex()}`,
  };
  let example: SecureExample;
  let source: TempDatabase;
  // Allowed as an endpoint, but nothing listens there: the runs fail, their errors are scanned too.
  const endpoint = 'http://127.0.0.1:9';

  beforeAll(async () => {
    source = await createSourceDatabase(100);
    example = await startSecureExample({ BACKUPKIT_ALLOWED_ENDPOINTS: endpoint });
  });
  afterAll(async () => {
    await example?.stop();
    await source?.drop();
  });

  it('never appear in a response, the catalog or a log line', async () => {
    const database = new URL(source.url);
    const jobs: Json[] = [
      {
        job_name: 'azure-key',
        source: { type: 'database', connection_string: source.url },
        destination: {
          type: 'azure',
          container: 'c',
          connection_string: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${sentinels.accountKey};BlobEndpoint=${endpoint}/devstoreaccount1;`,
        },
      },
      {
        job_name: 'azure-sas',
        source: { type: 'database', connection_string: source.url },
        destination: {
          type: 'azure',
          container: 'c',
          endpoint: `${endpoint}/devstoreaccount1?sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=${sentinels.sasSignature}`,
        },
      },
      {
        job_name: 's3-keys',
        source: {
          type: 'database',
          connection_string: `postgresql://${database.username}:${sentinels.userinfoPassword}@${database.host}${database.pathname}`,
        },
        destination: {
          type: 's3',
          bucket: 'b',
          endpoint,
          force_path_style: true,
          access_key_id: 'AKIAEXAMPLE',
          secret_access_key: sentinels.secretAccessKey,
        },
      },
      {
        job_name: 'encoded-password',
        source: {
          type: 'database',
          connection_string: `postgresql://${database.username}@${database.host}${database.pathname}?pass%77ord=${sentinels.encodedPassword}`,
        },
        destination: { type: 'local', path: `enc/${hex()}` },
      },
    ];
    const ids: string[] = [];
    for (const body of jobs) {
      const created = await example.as('alice', 'POST', '/jobs', body);
      expect(created.status, created.text).toBe(201);
      ids.push((created.body as Json).job_id as string);
    }
    for (const id of ids) {
      expect((await example.as('alice', 'POST', `/jobs/${id}/execute`, {})).status).toBe(202);
      const status = await example.settle('alice', `/jobs/${id}/status`);
      expect(['completed', 'failed']).toContain(status.status);
      await example.as('alice', 'GET', `/jobs/${id}`);
      await example.as('alice', 'GET', `/jobs/${id}/executions`);
    }
    // pg reads the percent-encoded name as `password`: the run reached the database with it.
    const encoded = (await example.as('alice', 'GET', `/jobs/${ids[3]}/status`)).body as Json;
    expect(encoded.status, JSON.stringify(encoded)).toBe('completed');
    const listed = await example.as('admin', 'GET', '/jobs');
    expect(listed.text).toContain('***');
    await example.as('alice', 'GET', '/files');

    const everything = [
      ...example.replies,
      example.output(),
      (await example.catalogBytes()).toString('latin1'),
    ];
    for (const [name, secret] of Object.entries(sentinels)) {
      for (const place of everything) expect(place, name).not.toContain(secret);
    }
  });
});
