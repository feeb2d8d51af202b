// The SQLite run store: schema creation (WAL, busy_timeout, foreign keys), versioning and reopening;
// then the cases both backends share (store-cases.ts: the log/flush/finish round trip, events,
// summary and artifacts, listRuns, markCrashed, NaN, bad input, the 10,000-point loop) on SQLite files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { init, RunStore, SCHEMA_VERSION, SchemaError, MIGRATIONS } from '../../src/track/index.js';
import { migrate } from '../../src/track/schema.js';
import { storeCases } from './store-cases.js';

function tmp(): { dir: string; db: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sous-store-'));
  return { dir, db: join(dir, 'runs.db'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('store: a new file gets the schema, WAL, busy_timeout and foreign keys; reopening keeps it', () => {
  const t = tmp();
  try {
    const nested = join(t.dir, 'a', 'b', 'runs.db');
    const s = RunStore.open(nested);
    assert.equal(s.schemaVersion, SCHEMA_VERSION);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('busy_timeout', { simple: true }), 5000);
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    const tables = (s.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(tables, ['artifacts', 'events', 'meta', 'metric_summary', 'metrics', 'runs']);
    const index = s.db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'metrics_run_key_step'`).get() as { sql: string };
    assert.match(index.sql, /\(run_id, key, step\)/);
    const run = init({ store: s, name: 'keep' });
    run.log({ a: 1 });
    run.finish();
    s.close();
    assert.throws(() => s.listRuns(), /closed/);

    const again = RunStore.open(nested, { busyTimeoutMs: 250 });
    assert.equal(again.schemaVersion, SCHEMA_VERSION);
    assert.equal(again.db.pragma('busy_timeout', { simple: true }), 250);
    assert.equal(again.getRun(run.id)?.name, 'keep');
    assert.deepEqual(again.metrics(run.id, 'a').map((m) => m.value), [1]);
    assert.equal((again.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string }).value, String(SCHEMA_VERSION));
    again.close();

    const ro = RunStore.open(nested, { readonly: true });
    assert.equal(ro.listRuns().length, 1);
    assert.throws(() => ro.updateRun(run.id, { status: 'failed' }), /readonly/i);
    ro.close();
  } finally {
    t.done();
  }
});

test('store: a file from a newer schema is refused; migrations apply once, in order', () => {
  const t = tmp();
  try {
    RunStore.open(t.db).close();
    const raw = new BetterSqlite3(t.db);
    raw.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    raw.close();
    assert.throws(() => RunStore.open(t.db), (e: Error) => e instanceof SchemaError && /schema version 99, newer than this Sous knows/.test(e.message));

    const mem = new BetterSqlite3(':memory:');
    const m1 = { name: 'one', sql: 'CREATE TABLE one (x)' };
    const m2 = { name: 'two', sql: 'CREATE TABLE two (x)' };
    assert.equal(migrate(mem, 'mem', [m1]), 1);
    assert.equal(migrate(mem, 'mem', [m1]), 1); // nothing to do: CREATE TABLE one is not run again
    assert.equal(migrate(mem, 'mem', [m1, m2]), 2);
    assert.throws(() => migrate(mem, 'mem', [m1, m2, { name: 'bad', sql: 'NOT SQL' }]), /migration 3 \(bad\) failed/);
    assert.equal(migrate(mem, 'mem', [m1, m2]), 2); // the failed migration rolled back
    mem.close();
    assert.ok(MIGRATIONS.length >= 1);
  } finally {
    t.done();
  }
});

test('store: opening a store of schema 1 adds metric_summary, filled from the points already there', () => {
  const t = tmp();
  try {
    const raw = new BetterSqlite3(t.db);
    raw.pragma('journal_mode = WAL');
    assert.equal(migrate(raw, 'old', MIGRATIONS.slice(0, 1)), 1);
    raw.prepare(`INSERT INTO runs (id, name, project, status, started) VALUES ('a', 'a', 'p', 'completed', 1), ('b', 'b', 'p', 'completed', 2)`).run();
    const ins = raw.prepare('INSERT INTO metrics (run_id, step, epoch, key, value, wall_time) VALUES (?, ?, NULL, ?, ?, 1)');
    for (const [run, step, key, value] of [['a', 0, 'loss', 3], ['a', 2, 'loss', 1], ['a', 1, 'loss', 0.5], ['a', 2, 'loss', null], ['a', 0, 'acc', 0.2], ['b', 0, 'loss', 2], ['b', 1, 'loss', 4]] as const) ins.run(run, step, key, value);
    raw.close();
    const s = RunStore.open(t.db);
    assert.equal(s.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(s.metricSummaries('a'), [
      { key: 'acc', points: 1, lastStep: 0, last: 0.2, min: 0.2, max: 0.2 },
      { key: 'loss', points: 4, lastStep: 2, last: NaN, min: 0.5, max: 3 }, // step 2 twice: the later row (NaN) is last
    ]);
    assert.deepEqual(s.listRuns({ orderBy: { metric: 'loss', reduce: 'max' } }).map((r) => [r.id, r.sortValue]), [['b', 4], ['a', 3]]);
    s.write('b', [{ step: 2, epoch: null, key: 'loss', value: 5, wallTime: 2 }]);
    assert.deepEqual(s.metricSummaries('b'), [{ key: 'loss', points: 3, lastStep: 2, last: 5, min: 2, max: 5 }]);
    s.close();
  } finally {
    t.done();
  }
});

storeCases({
  name: 'sqlite',
  fresh: async () => {
    const t = tmp();
    return { location: t.db, dir: t.dir, done: t.done };
  },
  tenThousandPointsMs: 1000,
});
