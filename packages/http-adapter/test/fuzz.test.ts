import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminDatabaseUrl } from '../../../test-support/postgres.js';
import { createFixture, type Fixture, KEY_ID, SENTINEL } from './support/fixture.js';
import { type ApiReply, type ApiServer, call, FRAMEWORKS } from './support/servers.js';

type Json = Record<string, unknown>;

/** Documented request bodies, made valid for this server (local storage, the test key). */
const VALID_JOB: Json = {
  job_name: 'Daily Database Backup',
  description: 'Daily backup of all database tables',
  backup_type: 'full',
  source: {
    type: 'database',
    connection_string: adminDatabaseUrl(),
    tables: ['users'],
    exclude_tables: ['temp_*'],
  },
  destination: { type: 'local', path: 'database/daily/' },
  schedule: { frequency: 'daily', time: '02:00', timezone: 'America/Toronto', enabled: true },
  retention: { days: 30, weeks: 12, months: 12, years: 7 },
  compression: { enabled: true, algorithm: 'gzip', level: 6 },
  encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
  verification: { enabled: true, checksum_verification: true, integrity_check: true, test_restore: false },
  notifications: {
    on_success: true,
    on_failure: true,
    on_warning: false,
    recipients: ['admin@delivery.com'],
  },
};
const VALID_EXECUTE: Json = {
  execution_options: {
    priority: 'high',
    force_full_backup: false,
    skip_verification: false,
    notify_on_completion: true,
  },
  custom_parameters: { tables: ['users'], compression_level: 9, encryption_key: KEY_ID },
};
const VALID_RESTORE: Json = {
  restore_name: 'Emergency Database Restore',
  backup_id: 'backup_0000000000000000',
  destination: {
    type: 'database',
    connection_string: adminDatabaseUrl(),
    tables: ['users'],
    overwrite_existing: true,
  },
  restore_options: { verify_before_restore: true, verify_after_restore: true, max_parallel_jobs: 4 },
};
const VALID_VERIFY: Json = {
  verification_type: 'full',
  checksum_verification: true,
  integrity_check: true,
  test_restore: true,
  test_restore_options: {
    test_database: 'delivery_test_restore',
    test_tables: ['users'],
    cleanup_after_test: true,
  },
};

/** Objects that take any extra field (driver-specific destination settings). */
const LOOSE = new Set(['destination']);
/** Fields that accept null. */
const NULLABLE = new Set(['description', 'schedule', 'retention', 'notifications', 'test_restore_options']);

function leaves(value: unknown, path: string[] = []): string[][] {
  if (Array.isArray(value))
    return [path, ...value.flatMap((item, index) => leaves(item, [...path, String(index)]))];
  if (value !== null && typeof value === 'object') {
    return [
      ...(path.length ? [path] : []),
      ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k])),
    ];
  }
  return [path];
}

function setAt(body: Json, path: string[], replacement: unknown): Json {
  const copy = structuredClone(body);
  let cursor: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string, unknown>;
  cursor[path[path.length - 1]!] = replacement;
  return copy;
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/** Every field replaced by values of every other JSON type, and unknown fields in every strict object. */
function mutations(valid: Json): Json[] {
  const out: Json[] = [];
  const candidates: unknown[] = [12345, 'not-the-right-type', true, [], { nested: 1 }, null];
  for (const path of leaves(valid)) {
    const key = path[path.length - 1]!;
    const original = path.reduce<unknown>((node, segment) => (node as Json)[segment], valid);
    for (const candidate of candidates) {
      if (typeOf(candidate) === typeOf(original)) continue;
      if (candidate === null && NULLABLE.has(key)) continue;
      // an array element of a name list replaced by another string would still be valid
      out.push(setAt(valid, path, candidate));
    }
    if (typeOf(original) === 'object' && !LOOSE.has(key)) {
      out.push(setAt(valid, [...path, 'unknown_field'], 'x'));
    }
  }
  out.push({ ...valid, unknown_top_level: true });
  out.push({ ...valid, constructor: { prototype: { polluted: true } } });
  return out;
}

const MALFORMED_BODIES = [
  '{',
  '{"job_name": "x",}',
  "{'job_name': 'x'}",
  'null',
  '[]',
  '"a string"',
  '123',
  'true',
  '\u0000',
  '{"job_name": "\\ud800"',
];
/** Body reading is the same for every route: these big ones are sent to one. */
const HUGE_BODIES = [
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  JSON.stringify({ job_name: 'x'.repeat(1024 * 1024 + 10) }),
];

const BAD_IDS = [
  '..',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2fetc',
  'job_..%2F..%2Fsecret',
  "job_1'%20OR%20'1'%3D'1",
  'job_1%3BDROP%20TABLE%20backup_jobs',
  'job_%00',
  `job_${'a'.repeat(5000)}`,
  'backup_%E0%A4%A',
  'restore_*',
  'verify_%25',
];

const BAD_LOCAL_PATHS = [
  '../../etc/',
  '../',
  '/../../../',
  'a/../../..',
  '..\\..\\windows',
  'x/\u0000/y',
  '....//..//..//',
];

describe.each(FRAMEWORKS)('fuzzing pass over the schemas on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;
  const token = SENTINEL.tokenAlice;
  const replies: Array<{ what: string; reply: ApiReply }> = [];

  async function state(): Promise<unknown> {
    const jobs = (await call(server.url, 'GET', '/jobs?limit=500', { token })).body as Json;
    const files = (await call(server.url, 'GET', '/files?limit=500', { token })).body as Json;
    const executions = await fixture.catalog.listExecutions({ limit: 500, offset: 0 });
    return { jobs, files: files.total, executions: executions.total };
  }

  async function send(what: string, method: string, path: string, options: Parameters<typeof call>[3]) {
    const reply = await call(server.url, method, path, { token, ...options });
    replies.push({ what, reply });
    return reply;
  }

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
    // one real job, so ids that exist are in play too
    const created = await call(server.url, 'POST', '/jobs', {
      token,
      body: { ...VALID_JOB, job_name: 'baseline' },
    });
    expect(created.status, created.text).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('no request gets a 5xx or a 2xx, every error has the documented shape, nothing changes', async () => {
    const before = await state();
    const jobId = ((before as { jobs: { jobs: Json[] } }).jobs.jobs[0] as Json).job_id as string;
    const bodies: Array<[string, string, Json]> = [
      ['POST', '/jobs', VALID_JOB],
      ['POST', `/jobs/${jobId}/execute`, VALID_EXECUTE],
      ['POST', '/restores', VALID_RESTORE],
      ['POST', '/backups/backup_0000000000000000/verify', VALID_VERIFY],
      ['PATCH', `/jobs/${jobId}`, { job_name: 'renamed', status: 'paused' }],
    ];
    for (const [method, path, valid] of bodies) {
      for (const body of mutations(valid)) await send(`${method} ${path} mutation`, method, path, { body });
      for (const raw of MALFORMED_BODIES) {
        await send(`${method} ${path} malformed`, method, path, {
          rawBody: raw,
          headers: { 'content-type': 'application/json' },
        });
      }
      // `__proto__` as a real JSON key (an object literal would set the prototype instead)
      await send(`${method} ${path} __proto__`, method, path, {
        rawBody: JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"polluted":true},'),
        headers: { 'content-type': 'application/json' },
      });
      await send(`${method} ${path} xml`, method, path, {
        rawBody: '<job/>',
        headers: { 'content-type': 'application/xml' },
      });
    }
    for (const raw of HUGE_BODIES) {
      await send('POST /jobs huge', 'POST', '/jobs', {
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      });
    }
    for (const id of BAD_IDS) {
      for (const path of [
        `/jobs/${id}`,
        `/jobs/${id}/status`,
        `/jobs/${id}/execute`,
        `/jobs/${id}/executions`,
        `/executions/${id}/cancel`,
        `/restores/${id}/status`,
        `/backups/${id}/verify`,
        `/verifications/${id}`,
        `/jobs/${id}/retention/apply`,
      ]) {
        const method = /execute|cancel|verify|apply/.test(path) ? 'POST' : 'GET';
        await send(`${method} ${path}`, method, path, method === 'POST' ? { body: {} } : {});
      }
      await send(`DELETE /jobs/${id}`, 'DELETE', `/jobs/${id}`, {});
    }
    for (const localPath of BAD_LOCAL_PATHS) {
      await send(`local path ${localPath}`, 'POST', '/jobs', {
        body: { ...VALID_JOB, destination: { type: 'local', path: localPath } },
      });
    }
    for (const query of [
      'limit=abc',
      'limit=-1',
      'limit=1e9',
      'offset=-5',
      'backup_type=full%27%20OR%20%271%27%3D%271',
      "status=completed'--",
      'date_from=not-a-date',
      'date_from=2024-02-01&date_to=2024-01-01',
      'unknown=1',
      'limit=1&limit=2',
    ]) {
      await send(`files?${query}`, 'GET', `/files?${query}`, {});
      await send(`analytics?${query}`, 'GET', `/analytics?${query}`, {});
    }
    await send('PUT /jobs', 'PUT', '/jobs', { body: VALID_JOB });

    expect(replies.length).toBeGreaterThan(300);
    for (const { what, reply } of replies) {
      expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
      expect(Object.keys(reply.body as Json).sort(), what).toEqual(['details', 'error', 'message']);
    }
    expect(await state()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe.each(FRAMEWORKS)('SQL meta-characters in names on %s', (_name, start) => {
  let fixture: Fixture;
  let server: ApiServer;

  beforeAll(async () => {
    fixture = await createFixture();
    server = await start(fixture.handlerOptions());
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  test('are stored verbatim and used as data, never as SQL', async () => {
    const token = SENTINEL.tokenAlice;
    const names = [
      "x'; DROP TABLE backup_jobs; --",
      'Robert"); DELETE FROM audit_log; --',
      "' OR '1'='1",
      '%_\\',
    ];
    for (const name of names) {
      const reply = await call(server.url, 'POST', '/jobs', {
        token,
        body: {
          ...VALID_JOB,
          job_name: name,
          description: name,
          source: { type: 'database', connection_string: adminDatabaseUrl(), tables: [name] },
        },
      });
      expect(reply.status, reply.text).toBe(201);
      expect((reply.body as Json).job_name).toBe(name);
      const files = await call(server.url, 'GET', `/files?job_id=${encodeURIComponent(name)}`, { token });
      expect(files.status, files.text).toBe(200);
      expect((files.body as Json).total).toBe(0);
    }
    const jobs = (await call(server.url, 'GET', '/jobs?limit=50', { token })).body as {
      total: number;
      jobs: Json[];
    };
    expect(jobs.total).toBe(names.length);
    expect(jobs.jobs.map((job) => job.job_name).sort()).toEqual([...names].sort());
    const audit = await fixture.catalog.listAudit({ action: 'job.create', limit: 50, offset: 0 });
    expect(audit.total).toBe(names.length);
  });
});
