import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type BackupService,
  createBackupService,
  createSqliteCatalog,
  type DestinationConfig,
  LocalStorageDriver,
  SecretBox,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskSecrets, sealConfig, unsealConfig } from '../../src/service/secrets.js';
import { fsJob, makeTree, TEMP_ACCESS, tempDir, testKeys } from './helpers.js';

const ACCOUNT_KEY = 'AKsentinel7f3e9b1c2d4a+/Zx==';
const SAS_SIG = 'SIGsentinel4e8a2c%2Bq%3D';
const CLIENT_SECRET = 'CSsentinel_91b7e2';
const SENTINELS = [ACCOUNT_KEY, 'AKsentinel7f3e9b1c2d4a', SAS_SIG, 'SIGsentinel4e8a2c', CLIENT_SECRET];

const CONNECTION_STRING = `DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`;
const SAS_ENDPOINT = `https://acct1.blob.core.windows.net/?sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=${SAS_SIG}`;

function expectNoSentinel(text: string, where: string): void {
  for (const sentinel of SENTINELS) expect(text.includes(sentinel), `${where} holds ${sentinel}`).toBe(false);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('sealConfig / unsealConfig / maskSecrets', () => {
  const box = new SecretBox(randomBytes(32));

  it('seals secret fields and every string with a secret span, nested and in arrays, and restores them exactly', () => {
    const config = {
      type: 'azure',
      container: 'c',
      connection_string: CONNECTION_STRING,
      endpoint: SAS_ENDPOINT,
      retries: 3,
      auth: { client_secret: CLIENT_SECRET, tenant: 't1', deeper: { password: 'pw-nested-1' } },
      mirrors: ['https://m.example/?token=tok-array-1', 'plain'],
      password: 12345,
      empty: null,
      sealed_secrets: { endpoint: 'enc:v1:forged' },
    };
    const stored = sealConfig(config, box);
    const text = JSON.stringify(stored);
    expectNoSentinel(text, 'stored config');
    expect(text).not.toContain('pw-nested-1');
    expect(text).not.toContain('tok-array-1');
    expect(text).not.toContain('forged');
    expect(stored).toMatchObject({
      type: 'azure',
      container: 'c',
      connection_string:
        'DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=***;EndpointSuffix=core.windows.net',
      endpoint:
        'https://acct1.blob.core.windows.net/?sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=***',
      retries: 3,
      auth: { client_secret: '***', tenant: 't1', deeper: { password: '***' } },
      mirrors: ['https://m.example/?token=***', 'plain'],
      password: '***',
      empty: null,
    });
    const { sealed_secrets: _dropped, ...original } = config;
    expect(unsealConfig(stored, box)).toEqual(original);
    expect(unsealConfig(JSON.parse(text), box)).toEqual(original);

    const view = maskSecrets(stored);
    expect(JSON.stringify(view)).not.toContain('sealed_secrets');
    expect(view).toMatchObject({ connection_string: stored.connection_string, endpoint: stored.endpoint });
  });

  it('reads configs sealed the old way (top-level `sealed_secrets: { field: blob }`)', () => {
    const old = {
      type: 'postgres',
      connection_string: 'postgresql://u:***@h/db',
      sealed_secrets: { connection_string: box.seal('postgresql://u:old-pw-1@h/db') },
    };
    expect(unsealConfig(old, box)).toEqual({
      type: 'postgres',
      connection_string: 'postgresql://u:old-pw-1@h/db',
    });
    expect(maskSecrets(old)).toEqual({ type: 'postgres', connection_string: 'postgresql://u:***@h/db' });
  });

  it('masks secrets a view meets even when they were never sealed', () => {
    const view = maskSecrets({
      endpoint: SAS_ENDPOINT,
      nested: { secret_access_key: 'abc', list: [CONNECTION_STRING] },
    });
    expectNoSentinel(JSON.stringify(view), 'view');
    expect(view.nested.secret_access_key).toBe('***');
  });
});

describe('a job with an Azure connection string and a SAS endpoint, through the service', () => {
  let dataDir: string;
  let treeDir: string;
  let service: BackupService;
  const opened: DestinationConfig[] = [];

  beforeAll(async () => {
    dataDir = await tempDir('sealing');
    treeDir = await tempDir('sealing-tree');
    await makeTree(treeDir, 6);
    service = createBackupService({
      dataDir,
      keys: testKeys(),
      progressIntervalMs: 20,
      access: { ...TEMP_ACCESS, allowEndpoint: () => true },
      storage: {
        drivers: {
          // The real Azure driver would call the endpoint; this one records what a run is given.
          azure: (destination) => {
            opened.push(destination);
            return new LocalStorageDriver({ root: path.join(dataDir, 'azure-stand-in') });
          },
        },
      },
    });
  });

  afterAll(async () => {
    await service.stop({ cancelRunning: true });
    await rm(dataDir, { recursive: true, force: true });
    await rm(treeDir, { recursive: true, force: true });
  });

  it('stores and shows masked forms only, and hands the run the exact original', async () => {
    const destination = {
      type: 'azure',
      container: 'backups',
      path: 'files',
      connection_string: CONNECTION_STRING,
      endpoint: SAS_ENDPOINT,
      client_secret: CLIENT_SECRET,
    };
    const seen: string[] = [];
    const job = (await service.createJob(fsJob(treeDir, { destination }))) as View;
    seen.push(JSON.stringify(job));
    const shown = job.destination as Record<string, unknown>;
    expect(shown.connection_string).toBe(
      'DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=***;EndpointSuffix=core.windows.net',
    );
    expect(shown.endpoint).toBe(
      'https://acct1.blob.core.windows.net/?sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=***',
    );
    expect(shown.client_secret).toBe('***');

    const jobId = String(job.job_id);
    const run = (await service.executeJob(jobId)) as View;
    const done = (await service.waitFor(String(run.execution_id))) as View;
    expect(done.status).toBe('completed');
    expect(opened.length).toBeGreaterThan(0);
    for (const given of opened) expect(given).toEqual(destination);

    // An update keeps them sealed and intact.
    seen.push(JSON.stringify(await service.updateJob(jobId, { description: 'renamed' })));
    opened.length = 0;
    const again = (await service.waitFor(
      String(((await service.executeJob(jobId)) as View).execution_id),
    )) as View;
    expect(again.status).toBe('completed');
    for (const given of opened) expect(given).toEqual(destination);

    for (const view of [
      await service.getJob(jobId),
      await service.listJobs(),
      await service.listExecutions(jobId),
      await service.listBackups(),
      await service.getJobStatus(jobId),
    ]) {
      seen.push(JSON.stringify(view));
    }
    for (const [i, text] of seen.entries()) expectNoSentinel(text, `view ${i}`);

    await service.stop();
    // The catalog's rows as stored, read back through a catalog of its own.
    const catalog = createSqliteCatalog({ path: path.join(dataDir, 'catalog.db') });
    await catalog.init();
    try {
      const row = await catalog.getJob(jobId);
      const rowText = JSON.stringify(row);
      expectNoSentinel(rowText, 'catalog row');
      expect(rowText).toContain('sealed_secrets');
      expect(rowText).toContain('AccountKey=***');
    } finally {
      await catalog.close();
    }
    // And the bytes of every file the service wrote (SQLite file, its WAL, storage).
    const files = await filesUnder(dataDir);
    expect(files.some((file) => file.endsWith('catalog.db'))).toBe(true);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const sentinel of SENTINELS) expect(bytes.includes(Buffer.from(sentinel)), file).toBe(false);
    }
  });
});
