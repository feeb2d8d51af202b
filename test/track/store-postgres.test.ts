// The run store on PostgreSQL, against a real server this file starts on 127.0.0.1 (test/helpers/
// postgres.ts; without the server's binaries every test fails with a message naming `apt-get install
// postgresql`). Each test gets its own database. It runs the cases both backends share
// (store-cases.ts, store-processes-cases.ts), then: the schema's PostgreSQL types and versioning;
// several processes creating one new store at once; concurrent writers whose metrics a rowid cursor
// (the board's live feed) reads without missing any; the same answers as SQLite for the same data
// (store queries and the board's API functions); `sous board` on a PostgreSQL URL, live feed included;
// and clear, quick errors for a server that refuses, does not answer, or rejects the login.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, RunStore, SchemaError, SCHEMA_VERSION, StoreConnectionError, MIGRATIONS, type EventRow, type ListRunsOptions, type MetricRow } from '../../src/track/index.js';
import { migrate } from '../../src/track/schema.js';
import { PgDriver } from '../../src/track/postgres.js';
import { compareApi, histogramsApi, keysApi, listRunsApi, metricsApi, runApi } from '../../src/board/api.js';
import { startBoard } from '../../src/board/index.js';
import { boardCommand } from '../../src/cli/board.js';
import { UsageError } from '../../src/cli/exit.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { storeCases, type StoreBackend } from './store-cases.js';
import { processCases, start, TRACK } from './store-processes-cases.js';

let pg: PostgresServer;
let dbCount = 0;

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await pg?.stop();
});

async function freshDatabase(): Promise<string> {
  if (pg === undefined) throw new Error('the PostgreSQL server did not start (see the before hook)');
  return pg.createDatabase(`sous_t${++dbCount}`);
}

function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sous-store-pg-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const backend: StoreBackend = {
  name: 'postgres',
  fresh: async () => ({ location: await freshDatabase(), ...tempDir() }),
  // each flush is a few round trips through the worker thread and the server
  tenThousandPointsMs: 3000,
};

storeCases(backend);
processCases(backend);

test('postgres: the schema has DOUBLE PRECISION, BIGINT and rowid identity columns; versions, read-only and newer schemas as on SQLite', async () => {
  const url = await freshDatabase();
  const s = RunStore.open(url);
  try {
    assert.equal(s.backend, 'postgres');
    assert.equal(s.schemaVersion, SCHEMA_VERSION);
    assert.equal(s.path, url.replace(`:${pg.password}@`, ':***@'));
    assert.ok(!s.path.includes(pg.password), 'the password is masked');
    assert.throws(() => s.db, /store\.db is the SQLite connection.*PostgreSQL: use store\.sql/);
    const tables = s.sql.all<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`).map((r) => r.t);
    assert.deepEqual(tables, ['artifacts', 'events', 'meta', 'metric_summary', 'metrics', 'runs']);
    const types = Object.fromEntries(s.sql.all<{ c: string; ty: string; id: string }>(`SELECT table_name || '.' || column_name AS c, data_type AS ty, is_identity AS id FROM information_schema.columns WHERE table_schema = current_schema()`).map((r) => [r.c, `${r.ty}${r.id === 'YES' ? ' identity' : ''}`]));
    assert.equal(types['metrics.value'], 'double precision');
    assert.equal(types['metrics.wall_time'], 'double precision');
    assert.equal(types['metrics.step'], 'bigint');
    assert.equal(types['runs.started'], 'double precision');
    assert.equal(types['runs.seed'], 'bigint');
    for (const t of ['runs', 'metrics', 'events', 'artifacts']) assert.equal(types[`${t}.rowid`], 'bigint identity', t);
    const index = s.sql.get<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'metrics_run_key_step'`);
    assert.match(index!.def, /\(run_id, key, step\)/);
    // steps beyond 32 bits and seeds up to 2^53 - 1 come back exact
    s.createRun({ id: 'big', name: 'big', project: 'p', seed: Number.MAX_SAFE_INTEGER });
    s.write('big', [{ step: 2 ** 40, epoch: 1.5, key: 'k', value: 5e-324, wallTime: 1.5e9 + 0.001 }]);
    assert.equal(s.getRun('big')!.seed, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(s.metrics('big', 'k'), [{ step: 2 ** 40, epoch: 1.5, key: 'k', value: 5e-324, wallTime: 1.5e9 + 0.001 }]);
  } finally {
    s.close();
  }
  assert.throws(() => s.listRuns(), /closed/);

  const again = RunStore.open(url, { busyTimeoutMs: 250 });
  assert.equal(again.getRun('big')?.name, 'big');
  assert.equal(again.sql.get<{ v: string }>(`SELECT current_setting('lock_timeout') AS v`)!.v, '250ms');
  again.close();

  const ro = RunStore.open(url, { readonly: true });
  assert.equal(ro.listRuns().length, 1);
  assert.throws(() => ro.updateRun('big', { status: 'failed' }), /readonly/i);
  ro.close();

  const empty = await freshDatabase();
  assert.throws(() => RunStore.open(empty, { readonly: true }), new RegExp(`schema version 0, this Sous reads ${SCHEMA_VERSION}: open it read-write once to migrate`));

  const rw = RunStore.open(url);
  rw.sql.run(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`);
  rw.close();
  assert.throws(() => RunStore.open(url), (e: Error) => e instanceof SchemaError && /schema version 99, newer than this Sous knows/.test(e.message) && !e.message.includes(pg.password));

  // migrations apply once, in order; a failed one rolls back
  const d = PgDriver.connect(await freshDatabase());
  try {
    const m1 = { name: 'one', sql: 'CREATE TABLE one (x {int})' };
    const m2 = { name: 'two', sql: 'CREATE TABLE two (x {real})' };
    assert.equal(migrate(d, 'pg', [m1]), 1);
    assert.equal(migrate(d, 'pg', [m1]), 1);
    assert.equal(migrate(d, 'pg', [m1, m2]), 2);
    assert.throws(() => migrate(d, 'pg', [m1, m2, { name: 'bad', sql: 'NOT SQL' }]), /migration 3 \(bad\) failed/);
    assert.equal(migrate(d, 'pg', [m1, m2]), 2);
    assert.equal(d.get<{ t: string }>(`SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'two'`)!.t, 'double precision');
    assert.ok(MIGRATIONS.length >= 1);
  } finally {
    d.close();
  }
});

test('postgres: opening a database of schema 1 adds metric_summary, filled from the points already there', async () => {
  const url = await freshDatabase();
  const d = PgDriver.connect(url);
  try {
    assert.equal(migrate(d, 'old', MIGRATIONS.slice(0, 1)), 1);
    d.run(`INSERT INTO runs (id, name, project, status, started) VALUES ('a', 'a', 'p', 'completed', 1), ('b', 'b', 'p', 'completed', 2)`);
    for (const [run, step, key, value] of [['a', 0, 'loss', 3], ['a', 2, 'loss', 1], ['a', 1, 'loss', 0.5], ['a', 2, 'loss', null], ['a', 0, 'acc', 0.2], ['b', 0, 'loss', 2], ['b', 1, 'loss', 4]] as const) {
      d.run('INSERT INTO metrics (run_id, step, epoch, key, value, wall_time) VALUES (?, ?, NULL, ?, ?, 1)', [run, step, key, value]);
    }
  } finally {
    d.close();
  }
  const s = RunStore.open(url);
  try {
    assert.equal(s.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(s.metricSummaries('a'), [
      { key: 'acc', points: 1, lastStep: 0, last: 0.2, min: 0.2, max: 0.2 },
      { key: 'loss', points: 4, lastStep: 2, last: NaN, min: 0.5, max: 3 },
    ]);
    assert.deepEqual(s.listRuns({ orderBy: { metric: 'loss', reduce: 'max' } }).map((r) => [r.id, r.sortValue]), [['b', 4], ['a', 3]]);
    s.write('b', [{ step: 2, epoch: null, key: 'loss', value: 5, wallTime: 2 }]);
    assert.deepEqual(s.metricSummaries('b'), [{ key: 'loss', points: 3, lastStep: 2, last: 5, min: 2, max: 5 }]);
  } finally {
    s.close();
  }
});

const OPENER = `
import { RunStore } from ${JSON.stringify(TRACK)};
const s = RunStore.open(process.argv[2]);
s.createRun({ id: 'opener-' + process.argv[3], name: 'o', project: 'race' });
s.close();
`;

test('postgres: six processes that open one new database at once migrate it once', async () => {
  const url = await freshDatabase();
  const t = tempDir();
  try {
    const script = join(t.dir, 'opener.mjs');
    writeFileSync(script, OPENER);
    const children = Array.from({ length: 6 }, (_, i) => start(script, [url, String(i)]));
    const results = await Promise.all(children.map((c) => c.exited));
    for (const [i, c] of children.entries()) assert.deepEqual(results[i], { code: 0, signal: null }, `opener ${i}: ${c.stderr}`);
    const s = RunStore.open(url);
    assert.equal(s.sql.get<{ v: string }>(`SELECT value AS v FROM meta WHERE key = 'schema_version'`)!.v, String(SCHEMA_VERSION));
    assert.equal(s.listRuns({ filter: { project: 'race' } }).length, 6);
    s.close();
  } finally {
    t.done();
  }
});

const WRITER = `
import { init } from ${JSON.stringify(TRACK)};
const [db, idx, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const run = init({ store: db, project: 'live', name: 'writer-' + idx, flushEvery: 10 });
for (let i = 0; i < n; i++) {
  run.log({ a: i, b: -i }, { step: i });
  if (i % 20 === 19) await new Promise((r) => setImmediate(r));
}
run.finish();
`;

test('postgres: a rowid cursor (the live feed) misses no metric while five processes write at once', async (t) => {
  const url = await freshDatabase();
  const tmp = tempDir();
  const store = RunStore.open(url);
  try {
    const script = join(tmp.dir, 'writer.mjs');
    writeFileSync(script, WRITER);
    const N = 600;
    const children = Array.from({ length: 5 }, (_, i) => start(script, [url, String(i), String(N)]));
    let cursor = store.lastMetricRowid();
    const seen = new Set<number>();
    let polls = 0;
    const poll = (): void => {
      for (const r of store.metricsAfterRowid(cursor, 50_000)) {
        assert.ok(r.id > cursor, 'rowids come in increasing order');
        assert.ok(!seen.has(r.id));
        seen.add(r.id);
        cursor = r.id;
      }
      polls++;
    };
    const errors: unknown[] = [];
    const timer = setInterval(() => { try { poll(); } catch (e) { errors.push(e); } }, 1);
    const results = await Promise.all(children.map((c) => c.exited));
    clearInterval(timer);
    poll();
    for (const [i, c] of children.entries()) assert.deepEqual(results[i], { code: 0, signal: null }, `writer ${i}: ${c.stderr}`);
    assert.deepEqual(errors, []);
    const total = store.sql.get<{ n: number }>('SELECT count(*) AS n FROM metrics')!.n;
    assert.equal(total, 5 * N * 2);
    t.diagnostic(`${polls} polls while 5 processes wrote ${total} points`);
    assert.equal(seen.size, total, 'every committed point was read once by the cursor');
    assert.equal(store.integrityCheck(), 'ok');
  } finally {
    store.close();
    tmp.done();
  }
});

/** The same runs, metrics, events and artifacts, with fixed times, in any store. */
function fill(s: RunStore): void {
  const runs = [
    { id: 'r1', name: 'alpha_lr', project: 'p1', config: { optim: { lr: 0.001, name: 'adam' }, amp: false, tag: null }, tags: ['x'], started: 1000.5, seed: 3 },
    { id: 'r2', name: 'Beta', project: 'p1', config: { optim: { lr: 0.1, name: 'sgd' }, amp: true }, tags: ['x', 'y'], started: 1001.25, seed: 4 },
    { id: 'r3', name: 'gamma 100%', project: 'p2', config: { optim: { lr: 0.001 }, 'a.b': 1 }, tags: [], started: 1001.25, seed: null },
  ];
  for (const r of runs) s.createRun({ ...r, pid: 1, host: 'elsewhere', git: { commit: 'abc', dirty: r.id === 'r2' }, environment: { node: 'v20' } });
  const metrics = (id: string, n: number, f: (i: number) => number, key: string): MetricRow[] =>
    Array.from({ length: n }, (_, i) => ({ step: i * 3, epoch: Math.floor(i / 10), key, value: f(i), wallTime: 1002 + i / 1000 + (id === 'r2' ? 0.5 : 0) }));
  s.write('r1', [...metrics('r1', 50, (i) => Math.exp(-i / 10), 'train/loss'), ...metrics('r1', 5, (i) => 0.5 + i / 10, 'val/acc'), ...metrics('r1', 3, (i) => (i === 1 ? Number.NaN : i === 2 ? Infinity : -0), 'odd')],
    [{ step: 3, type: 'histogram', message: 'w', data: { epoch: 0, step: 3, name: 'w', min: -1, max: 1, counts: [1, 2, 3] }, time: 1003 }, { step: null, type: 'note', message: 'hi', data: undefined, time: 1003.5 }] as EventRow[], 1100);
  s.write('r2', [...metrics('r2', 40, (i) => 1 / (i + 1), 'train/loss'), ...metrics('r2', 4, (i) => 0.6 + i / 20, 'val/acc')], [], 1200);
  s.write('r2', metrics('r2', 2, (i) => 0.99 - i, 'val/acc').map((m) => ({ ...m, step: m.step + 100 })), [], 1201); // a later write: 'last'
  s.addArtifact('r1', { name: 'best', path: '/nowhere/best.safetensors', kind: 'model', bytes: 7, sha256: 'ab'.repeat(32), created: 1050 });
  s.addArtifact('r1', { name: 'dir', path: '/nowhere', kind: 'dir', bytes: null, sha256: null, created: 1051 });
  s.updateRun('r1', { status: 'completed', ended: 1100, summary: { 'val/acc': 0.9 } });
  s.updateRun('r3', { status: 'failed', ended: 1300 });
}

test('postgres: the same data gives the same answers as SQLite, through the store and the board API', async () => {
  const url = await freshDatabase();
  const tmp = tempDir();
  const lite = RunStore.open(join(tmp.dir, 'runs.db'));
  const post = RunStore.open(url);
  try {
    fill(lite);
    fill(post);
    const both = <T>(what: string, f: (s: RunStore) => T): void => {
      const a = f(lite);
      const b = f(post);
      assert.deepEqual(b, a, what);
    };
    const ids = (runs: { id: string }[]): string[] => runs.map((r) => r.id);
    both('getRun', (s) => ['r1', 'r2', 'r3', 'none'].map((id) => s.getRun(id)));
    both('listRuns', (s) => s.listRuns());
    const filters: NonNullable<ListRunsOptions['filter']>[] = [{ project: 'p1' }, { status: 'running' }, { status: ['failed', 'completed'] }, { tags: ['x'] }, { tags: ['x', 'y'] }, { tags: ['z'] },
      { name: 'ALPHA%' }, { name: 'gamma 100_' }, { name: '_eta' }, { config: { 'optim.lr': 0.001 } }, { config: { 'optim.name': 'sgd' } }, { config: { amp: true } }, { config: { amp: false } },
      { config: { tag: null } }, { config: { 'optim.missing': null } }, { config: { 'optim.lr': 0.1, amp: true } }, { since: 1001 }, { project: 'p2', config: { 'optim.lr': 0.001 } }];
    for (const filter of filters) {
      both(`listRuns ${JSON.stringify(filter)}`, (s) => ids(s.listRuns({ filter })));
    }
    for (const reduce of ['last', 'min', 'max'] as const) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const metric of ['val/acc', 'train/loss', 'odd']) both(`orderBy ${metric} ${reduce} ${direction}`, (s) => s.listRuns({ orderBy: { metric, reduce, direction } }).map((r) => [r.id, r.sortValue]));
      }
    }
    both('limit', (s) => ids(s.listRuns({ limit: 2 })));
    both('metrics', (s) => ['train/loss', 'val/acc', 'odd', 'none'].map((k) => s.metrics('r1', k).concat(s.metrics('r2', k))));
    both('metricKeys', (s) => [s.metricKeys('r1'), s.metricKeys('r2'), s.metricKeys('r3')]);
    both('metricSummaries', (s) => [s.metricSummaries('r1'), s.metricSummaries('r2'), s.metricSummaries('r3')]);
    both('projectMetricKeys', (s) => [s.projectMetricKeys(), s.projectMetricKeys('p1'), s.projectMetricKeys('p2')]);
    both('events', (s) => s.events('r1'));
    both('artifacts', (s) => s.artifacts('r1'));
    both('runStates', (s) => s.runStates().sort((x, y) => x.id.localeCompare(y.id)));
    both('live cursor', (s) => {
      const rows = s.metricsAfterRowid(0, 100_000);
      return { n: rows.length, first: s.firstMetricRowidSince(1002.5) - rows[0]!.id, points: rows.map(({ run, step, key, value }) => [run, step, key, value]) };
    });
    both('markCrashed', (s) => s.markCrashed({ now: 1300, heartbeatTimeoutMs: 150_000 }));
    both('after markCrashed', (s) => s.runStates().sort((x, y) => x.id.localeCompare(y.id)));
    const q = (text: string): URLSearchParams => new URLSearchParams(text);
    both('listRunsApi', (s) => [listRunsApi(s, q('')), listRunsApi(s, q('project=p1&sort=val/acc&reduce=max&order=asc')), listRunsApi(s, q('q=ALPHA&limit=1')), listRunsApi(s, q('tag=y&status=completed,crashed'))]);
    both('runApi', (s) => runApi(s, 'r1', q('')));
    both('metricsApi', (s) => [metricsApi(s, 'r1', q('max=8')), metricsApi(s, 'r2', q('keys=val/acc'))]);
    both('compareApi', (s) => compareApi(s, q('ids=r1,r2,r3')));
    both('keysApi', (s) => [keysApi(s, q('')), keysApi(s, q('project=p2'))]);
    both('histogramsApi', (s) => [histogramsApi(s, 'r1', q('')), histogramsApi(s, 'r1', q('name=w'))]);
    assert.throws(() => post.createRun({ id: 'r1', name: 'again', project: 'p' }), /a run with id 'r1' is already in postgres:\/\/sous:\*\*\*@/);
    assert.equal(post.deleteRun('r1'), true);
    assert.equal(post.sql.get<{ n: number }>(`SELECT count(*) AS n FROM metrics WHERE run_id = 'r1'`)!.n, 0, 'metrics go with their run');
    assert.equal(post.integrityCheck(), 'ok');
  } finally {
    lite.close();
    post.close();
    tmp.done();
  }
});

async function readSse(url: string, until: (text: string) => boolean, ms = 10_000): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  let text = '';
  try {
    const res = await fetch(url, { signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    ac.abort();
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return text;
}

test('postgres: sous board serves a PostgreSQL store ($SOUS_STORE or --store), live feed included, and marks crashed runs', async () => {
  const url = await freshDatabase();
  const store = RunStore.open(url);
  const a = init({ store, id: 'run-a', name: 'alpha', project: 'fashion', config: { optim: { lr: 3e-3 } }, tags: ['baseline'] });
  for (let s = 0; s < 3000; s++) a.log({ 'train/loss': s === 1500 ? Number.NaN : 2 * Math.exp(-s / 1000), lr: 3e-3 }, { step: s });
  a.event('early_stop', 'patience', { best: 7 });
  a.finish();
  store.createRun({ id: 'ghost', name: 'ghost', project: 'fashion', pid: 2 ** 22 + 12345, started: Date.now() / 1000 - 5 }); // this host, no such pid
  const saved = process.env.SOUS_STORE;
  process.env.SOUS_STORE = url;
  let board;
  try {
    board = await startBoard({ port: 0, liveIntervalMs: 100 });
  } finally {
    if (saved === undefined) delete process.env.SOUS_STORE;
    else process.env.SOUS_STORE = saved;
  }
  try {
    assert.deepEqual(board.crashed, ['ghost']);
    const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(new URL(path, board.url));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const runs = await get('/api/runs?sort=train/loss&reduce=min');
    assert.equal(runs.status, 200);
    assert.deepEqual((runs.body.runs as { id: string; status: string }[]).map((r) => [r.id, r.status]), [['run-a', 'completed'], ['ghost', 'crashed']]);
    const one = await get('/api/runs/run-a');
    assert.deepEqual(one.body.keys, ['lr', 'train/loss']);
    assert.equal((one.body.events as { type: string }[])[0]!.type, 'early_stop');
    const m = await get('/api/runs/run-a/metrics?keys=train/loss&max=100');
    const curve = (m.body as Record<string, { steps: number[]; values: unknown[]; total: number }>)['train/loss']!;
    assert.equal(curve.total, 3000);
    assert.ok(curve.steps.length <= 100 && curve.values.includes(null), 'downsampled, NaN kept as null');
    assert.deepEqual((await get('/api/keys?project=fashion')).body, { keys: ['lr', 'train/loss'] });
    assert.equal((await get('/api/compare?ids=run-a,ghost')).status, 200);
    assert.equal((await get('/api/runs/nope')).status, 404);

    // a run logging while the board runs reaches /api/live
    const sse = readSse(new URL('/api/live', board.url).href, (text) => /event: metrics\ndata: .*"live-1"/.test(text) && text.includes('41]'));
    await new Promise((r) => setTimeout(r, 300));
    const live = init({ store, id: 'live-1', project: 'fashion', flushMs: 0 });
    for (let s = 0; s < 42; s++) live.log({ loss: 1 / (s + 1) }, { step: s });
    live.flush();
    const text = await sse;
    assert.match(text, /event: hello/);
    assert.match(text, /event: runs\ndata: .*"live-1"/);
    const since = await readSse(new URL(`/api/live?since=${Math.floor(Date.now() / 1000) - 60}`, board.url).href, (t) => t.includes('41]'));
    assert.match(since, /"live-1"/, 'since= replays the recent points');
    live.finish();
  } finally {
    await board.close();
    store.close();
  }

  // --store takes the URL too; a wrong password is the user's to fix (a usage error naming the masked URL)
  const bad = pg.urlFor(new URL(url).pathname.slice(1), pg.user, 'not-the-password');
  await assert.rejects(boardCommand(['--store', bad, '--port', '0']), (e: unknown) => e instanceof UsageError && /refused the login of sous/.test(e.message) && e.message.includes('sous:***@') && !e.message.includes('not-the-password'));
});

/** A TCP server that accepts connections and never answers (a PostgreSQL that hangs). */
function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok({
    port: (srv.address() as { port: number }).port,
    close: () => new Promise<void>((done) => { for (const s of sockets) s.destroy(); srv.close(() => done()); }),
  })));
}

test('postgres: a server that is not there, does not answer, or refuses the login is a clear, quick error with the password masked', async () => {
  const check = (location: string, opts: Parameters<typeof RunStore.open>[1], pattern: RegExp, maxMs: number): void => {
    const t0 = performance.now();
    assert.throws(() => RunStore.open(location, opts), (e: unknown) => {
      assert.ok(e instanceof StoreConnectionError, String(e));
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /hunter2|sous-test-pw|not-the-password/, 'no password in the message');
      return true;
    });
    const ms = performance.now() - t0;
    assert.ok(ms < maxMs, `${location}: ${ms.toFixed(0)} ms`);
  };
  // nothing listens on the port: refused at once
  const closed = await silentServer();
  const port = closed.port;
  await closed.close();
  check(`postgres://sous:hunter2@127.0.0.1:${port}/runs`, {}, new RegExp(`cannot connect to the PostgreSQL run store postgres://sous:\\*\\*\\*@127\\.0\\.0\\.1:${port}/runs: .*ECONNREFUSED.*is the PostgreSQL server running.*pg_isready -h 127\\.0\\.0\\.1 -p ${port}`), 5000);
  // a server that accepts and never answers: the connect timeout, not a hang
  const silent = await silentServer();
  try {
    check(`postgresql://sous:hunter2@127.0.0.1:${silent.port}/runs?password=hunter2`, { connectTimeoutMs: 700 }, /postgresql:\/\/sous:\*\*\*@127\.0\.0\.1:\d+\/runs\?password=\*\*\*: .*timeout.*no answer from 127\.0\.0\.1:\d+ within the connect timeout/i, 5000);
  } finally {
    await silent.close();
  }
  // a wrong password, a missing database, a user without a password (the server asks for one)
  const name = new URL(await freshDatabase()).pathname.slice(1);
  check(pg.urlFor(name, pg.user, 'not-the-password'), {}, /password authentication failed for user "sous".*check the user name and password/, 5000);
  check(pg.urlFor('no_such_db'), {}, /database "no_such_db" does not exist.*createdb -h 127\.0\.0\.1 -p \d+ no_such_db/, 5000);
  check('postgres://127.0.0.1:1:2/x', {}, /is not a valid URL: write it as postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/, 1000);
  // the tracker fails the same way (a training then goes on without its store: src/experiment/train.ts)
  assert.throws(() => init({ store: `postgres://sous:hunter2@127.0.0.1:${port}/runs` }), StoreConnectionError);
  // and the board, once (no second, read-only attempt)
  await assert.rejects(startBoard({ store: `postgres://sous:hunter2@127.0.0.1:${port}/runs`, port: 0 }), /cannot connect to the PostgreSQL run store postgres:\/\/sous:\*\*\*@/);
});
