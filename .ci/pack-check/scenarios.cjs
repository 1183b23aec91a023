'use strict';
// What use.mjs and use.cjs run, each with the packages as its module system loaded them: the
// same checks once through the ESM entries and once through the CommonJS ones.
const assert = require('node:assert/strict');
const { createHash, randomBytes } = require('node:crypto');
const { once } = require('node:events');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const pg = require('pg');

const ADMIN_URL = process.env.BACKUPKIT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOKEN = `pack-${randomBytes(8).toString('hex')}`;

/** Relative path → SHA-256 of every file under `root`. */
async function digestTree(root) {
  const out = new Map();
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(
      path.relative(root, file),
      createHash('sha256')
        .update(await fs.readFile(file))
        .digest('hex'),
    );
  }
  return out;
}

async function writeSampleTree(root) {
  await fs.mkdir(path.join(root, 'logs', 'old'), { recursive: true });
  await fs.mkdir(path.join(root, 'photos'), { recursive: true });
  const line = 'GET /backup/jobs 200 12ms user=ops\n';
  await fs.writeFile(path.join(root, 'logs', 'app.log'), line.repeat(60_000)); // ~2 MiB, compressible
  await fs.writeFile(path.join(root, 'logs', 'old', 'app.1.log'), line.repeat(1_000));
  await fs.writeFile(path.join(root, 'photos', 'a.jpg'), randomBytes(3 * 1024 * 1024)); // incompressible
  await fs.writeFile(path.join(root, 'empty'), '');
  await fs.writeFile(path.join(root, 'ünïcödé name.txt'), 'hello');
}

function newService(core, work, extra = {}) {
  return core.createBackupService({
    dataDir: path.join(work, 'data'),
    keys: new core.LocalKeyProvider({ pack_key: randomBytes(32) }),
    access: { sourceRoots: [path.join(work, 'source')], restoreRoots: [work] },
    progressIntervalMs: 50,
    ...extra,
  });
}

async function runToCompletion(service, id, what) {
  const done = await service.waitFor(id);
  assert.equal(done.status, 'completed', `${what} ${done.status}: ${JSON.stringify(done.error)}`);
  return done;
}

const ZSTD_AES = {
  compression: { enabled: true, algorithm: 'zstd', level: 3 },
  encryption: { enabled: true, algorithm: 'AES-256', key_id: 'pack_key' },
};

/** Backs up a directory (SQLite catalog, zstd, AES-256-GCM, local storage) and restores it. */
async function directoryRoundTrip(core, work) {
  const source = path.join(work, 'source');
  await writeSampleTree(source);
  const service = newService(core, work);
  try {
    const job = await service.createJob({
      job_name: 'Pack check directory',
      backup_type: 'full',
      source: { type: 'filesystem', path: source },
      destination: { type: 'local', path: 'directory' },
      ...ZSTD_AES,
    });
    const run = await service.executeJob(String(job.job_id));
    const status = await runToCompletion(service, String(run.execution_id), 'Directory backup');
    const restore = await service.createRestore({
      backup_id: status.result.backup_id,
      destination: { type: 'filesystem', path: path.join(work, 'restored') },
    });
    await runToCompletion(service, String(restore.restore_id), 'Directory restore');
    assert.deepEqual(await digestTree(path.join(work, 'restored')), await digestTree(source));
  } finally {
    await service.stop({ cancelRunning: true });
  }
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name) {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One checksum per table: every row, in key order. */
async function tableDigests(url) {
  return withClient(url, async (client) => {
    const out = {};
    for (const table of ['customers', 'orders']) {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY id)) AS digest FROM ${table} t`,
      );
      out[table] = rows[0];
    }
    return out;
  });
}

/** Backs up a scratch PostgreSQL database and restores it into another one; drops both. */
async function databaseRoundTrip(core, work, label) {
  const suffix = `${label}_${randomBytes(4).toString('hex')}`;
  const names = [`bk_pack_src_${suffix}`, `bk_pack_dst_${suffix}`];
  for (const name of names) await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const [sourceUrl, targetUrl] = names.map(databaseUrl);
  const service = newService(core, work);
  try {
    await withClient(sourceUrl, async (client) => {
      await client.query(`
        CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, tags jsonb, avatar bytea);
        CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id),
                             total numeric(12,2), placed_at timestamptz DEFAULT now());
        INSERT INTO customers (name, tags, avatar)
          SELECT 'customer ' || g, jsonb_build_object('n', g), decode(md5(g::text), 'hex')
          FROM generate_series(1, 3000) g;
        INSERT INTO orders (customer_id, total) SELECT 1 + g % 3000, g * 1.25 FROM generate_series(1, 20000) g;`);
    });
    const job = await service.createJob({
      job_name: 'Pack check database',
      backup_type: 'full',
      source: { type: 'database', connection_string: sourceUrl },
      destination: { type: 'local', path: 'database' },
      ...ZSTD_AES,
    });
    const run = await service.executeJob(String(job.job_id));
    const status = await runToCompletion(service, String(run.execution_id), 'Database backup');
    const restore = await service.createRestore({
      backup_id: status.result.backup_id,
      destination: { type: 'database', connection_string: targetUrl },
    });
    await runToCompletion(service, String(restore.restore_id), 'Database restore');
    const [before, after] = [await tableDigests(sourceUrl), await tableDigests(targetUrl)];
    assert.equal(before.orders.n, 20_000);
    assert.deepEqual(after, before);
  } finally {
    await service.stop({ cancelRunning: true });
    for (const name of names) {
      await withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  }
}

/** GET /backup/health and /backup/jobs: refused without the token, JSON with it. */
async function expectApi(base, jobId) {
  const get = (route, token) =>
    fetch(`${base}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const anonymous = await get('/health');
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error, 'unauthorized');
  const health = await get('/health', TOKEN);
  assert.equal(health.status, 200);
  assert.match(health.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal((await health.json()).status, 'ok');
  const jobs = await get('/jobs', TOKEN);
  assert.equal(jobs.status, 200);
  const body = await jobs.json();
  assert.deepEqual(
    body.jobs.map((job) => job.job_id),
    [jobId],
  );
  // The analytics page's files as installed: the shell from the package's ui/, uPlot from its package.
  const page = await get('/ui');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /\/backup\/ui\/uplot\.js/);
  const uplot = await get('/ui/uplot.js');
  assert.equal(uplot.status, 200);
  assert.match(await uplot.text(), /uPlot/);
}

/** The adapter on Express and on Fastify, on port 0, with an API token. */
async function httpAdapters(mods, work) {
  const { core, adapter, backupRouter, backupPlugin, backupFrameworkErrors, express, Fastify } = mods;
  await fs.mkdir(path.join(work, 'source'), { recursive: true });
  const catalog = core.createSqliteCatalog({ path: path.join(work, 'data', 'catalog.db') });
  const service = newService(core, work, { catalog });
  const options = {
    catalog,
    authenticate: adapter.apiTokenAuthenticator(adapter.parseApiTokens(`${TOKEN}:ops:admin`)),
    ui: true,
  };
  try {
    const job = await service.createJob(
      {
        job_name: 'Pack check HTTP',
        backup_type: 'full',
        source: { type: 'filesystem', path: path.join(work, 'source') },
        destination: { type: 'local', path: 'http' },
      },
      { principal: 'ops' },
    );

    const app = express();
    app.use('/backup', backupRouter(service, options));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await expectApi(`http://127.0.0.1:${server.address().port}/backup`, job.job_id);
      console.log(
        '  ✓ Express: GET /backup/health, /backup/jobs (401 without the token, JSON with it), /backup/ui',
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }

    const fastify = Fastify({ frameworkErrors: backupFrameworkErrors });
    await fastify.register(backupPlugin, { service, ...options, prefix: '/backup' });
    try {
      const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
      await expectApi(`${address}/backup`, job.job_id);
      console.log(
        '  ✓ Fastify: GET /backup/health, /backup/jobs (401 without the token, JSON with it), /backup/ui',
      );
    } finally {
      await fastify.close();
    }
  } finally {
    await service.stop({ cancelRunning: true });
    await catalog.close();
  }
}

/** Runs every scenario with `mods` (the packages as `label` loaded them), each in its own temp dir. */
async function runAll(mods, label) {
  const scenarios = [
    [
      'directory backup + restore (SQLite catalog, zstd, AES-256-GCM)',
      (w) => directoryRoundTrip(mods.core, w),
    ],
    [
      'PostgreSQL backup + restore into a second scratch database',
      (w) => databaseRoundTrip(mods.core, w, label),
    ],
    ['HTTP adapter', (w) => httpAdapters(mods, w)],
  ];
  for (const [title, run] of scenarios) {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), `bk-pack-${label}-`));
    const started = Date.now();
    try {
      await run(work);
      if (title !== 'HTTP adapter') console.log(`  ✓ ${title} (${Date.now() - started} ms)`);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
}

module.exports = { runAll };
