// The run store's cases that hold for both backends (SQLite and PostgreSQL), as a function of the
// backend: the log/flush/finish round trip (values exact as doubles); events, summary and artifacts;
// listRuns filters and metric ordering; markCrashed by heartbeat; NaN and infinities; bad input; and
// the speed of a 10,000-point log loop. store.test.ts runs them on SQLite files, store-postgres.test.ts
// on databases of a PostgreSQL server it starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { init, RunStore } from '../../src/track/index.js';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** a new, empty store's location (a file path or a URL), and a temp folder for the test's files */
  fresh(): Promise<{ location: string; dir: string; done: () => void }>;
  /** the bound on a 10,000-point log loop with its finish */
  tenThousandPointsMs: number;
}

/** The test's title; the PostgreSQL runs are marked as such. */
export function title(b: StoreBackend, name: string): string {
  return b.name === 'sqlite' ? name : `${name} [PostgreSQL]`;
}

export function storeCases(b: StoreBackend): void {
  test(title(b, 'run: log, flush, finish round trip keeps values exact and steps in order'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const run = init({ store: s, project: 'fashion', name: 'mlp', config: { optim: { lr: 1e-3, name: 'adamw' }, batch: 64 }, tags: ['baseline', 'cpu'], seed: 7, git: { commit: 'abc123', dirty: true }, environment: { node: process.version }, data: { name: 'fashion-mnist' }, flushEvery: 7 });
      assert.equal(run.status, 'running');
      const info = s.getRun(run.id)!;
      assert.equal(info.status, 'running');
      assert.equal(info.pid, process.pid);
      assert.equal(info.seed, 7);
      assert.deepEqual(info.git, { commit: 'abc123', dirty: true });
      assert.deepEqual(info.config, { optim: { lr: 1e-3, name: 'adamw' }, batch: 64 });
      assert.deepEqual(info.tags, ['baseline', 'cpu']);

      const values: number[] = [];
      for (let i = 0; i < 100; i++) {
        const v = Math.sin(i) / 3 + i * 1e-17 + (i === 5 ? 5e-324 : 0) + (i === 6 ? Number.MAX_VALUE : 0);
        values.push(v);
        run.log({ 'train/loss': v, lr: 1e-3 / (i + 1) }, { step: i * 10, epoch: Math.floor(i / 25) });
      }
      run.log({ auto: 1 }); // no step: one more than the last
      run.log({ auto: 2 });
      run.log({ 'val/acc': 0.5 }, { step: 3 }); // steps need not increase
      run.event('early_stop', 'patience ran out', { patience: 3, best: { epoch: 2 } });
      run.finish();
      assert.equal(run.status, 'completed');
      assert.equal(s.isOpen, true); // a store passed in stays open

      const loss = s.metrics(run.id, 'train/loss');
      assert.equal(loss.length, 100);
      assert.deepEqual(loss.map((m) => m.value), values); // bit-exact doubles
      assert.deepEqual(loss.map((m) => m.step), values.map((_, i) => i * 10));
      assert.deepEqual(loss.map((m) => m.epoch), values.map((_, i) => Math.floor(i / 25)));
      assert.ok(loss.every((m) => Math.abs(m.wallTime - Date.now() / 1000) < 60));
      assert.deepEqual(s.metrics(run.id, 'lr').map((m) => m.value), values.map((_, i) => 1e-3 / (i + 1)));
      assert.deepEqual(s.metrics(run.id, 'auto').map((m) => [m.step, m.value, m.epoch]), [[991, 1, null], [992, 2, null]]);
      assert.deepEqual(s.metricKeys(run.id), ['auto', 'lr', 'train/loss', 'val/acc']);

      const ev = s.events(run.id);
      assert.deepEqual(ev.map((e) => [e.type, e.message, e.data, e.step]), [['early_stop', 'patience ran out', { patience: 3, best: { epoch: 2 } }, 3]]);

      const done = s.getRun(run.id)!;
      assert.equal(done.status, 'completed');
      assert.ok(done.ended !== null && done.ended >= done.started);
      assert.ok(done.heartbeat !== null && done.heartbeat >= done.started);
      // the summary holds each metric's last logged value
      assert.deepEqual(done.summary, { 'train/loss': values[99], lr: 1e-3 / 100, auto: 2, 'val/acc': 0.5 });
      assert.throws(() => run.log({ a: 1 }), /has finished \(completed\)/);
      run.finish('failed'); // a second finish does nothing
      assert.equal(s.getRun(run.id)!.status, 'completed');
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'run: a store path is opened and closed by the run; buffered records flush on a timer and move the heartbeat'), async () => {
    const t = await b.fresh();
    try {
      const run = init({ store: t.location, flushEvery: 1000, flushMs: 150 });
      const reader = RunStore.open(t.location);
      const hb0 = reader.getRun(run.id)!.heartbeat!;
      run.log({ x: 0.25 });
      assert.equal(reader.metrics(run.id, 'x').length, 0, 'buffered, not written yet');
      await sleep(400);
      assert.deepEqual(reader.metrics(run.id, 'x').map((m) => m.value), [0.25]);
      assert.ok(reader.getRun(run.id)!.heartbeat! > hb0);
      run.finish('early_stopped');
      assert.equal(run.store.isOpen, false);
      assert.equal(reader.getRun(run.id)!.status, 'early_stopped');
      reader.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'run: summary merges explicit values over the last logged ones; artifacts are hashed'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const run = init({ store: s, dir: t.dir });
      run.log({ 'val/acc': 0.8, loss: 0.3 });
      run.summary({ 'val/acc': 0.9, best_epoch: 4 });
      assert.deepEqual(s.getRun(run.id)!.summary, { 'val/acc': 0.9, loss: 0.3, best_epoch: 4 });
      run.log({ 'val/acc': 0.85, loss: 0.2 });
      const bytes = Buffer.from('weights');
      writeFileSync(join(t.dir, 'best.safetensors'), bytes);
      const a = run.artifact('best', 'best.safetensors', 'model');
      assert.equal(a.path, join(t.dir, 'best.safetensors'));
      assert.equal(a.bytes, bytes.length);
      assert.equal(a.sha256, createHash('sha256').update(bytes).digest('hex'));
      run.artifact('folder', t.dir, 'dir');
      assert.throws(() => run.artifact('gone', 'missing.bin'), /missing\.bin does not exist/);
      run.finish();
      assert.deepEqual(s.getRun(run.id)!.summary, { 'val/acc': 0.9, loss: 0.2, best_epoch: 4 });
      assert.deepEqual(s.artifacts(run.id).map((r) => [r.name, r.kind, r.bytes, r.sha256 === null]), [['best', 'model', 7, false], ['folder', 'dir', null, true]]);
      assert.equal(s.deleteRun(run.id), true);
      assert.equal(s.artifacts(run.id).length, 0); // cascades
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'store: listRuns filters by project, status, tags, name, config; orders by a metric'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const mk = (name: string, project: string, lr: number, accs: number[], tags: string[], status: 'completed' | 'failed' = 'completed') => {
        const r = init({ store: s, name, project, config: { optim: { lr }, amp: lr > 0.01 }, tags });
        accs.forEach((a, i) => r.log({ 'val/acc': a }, { step: i }));
        r.finish(status);
        return r.id;
      };
      const a = mk('a', 'p1', 0.001, [0.5, 0.9, 0.7], ['x']);
      const b = mk('b', 'p1', 0.1, [0.6, 0.8], ['x', 'y']);
      const c = mk('c', 'p1', 0.01, [], ['y'], 'failed');
      const d = mk('d', 'p2', 0.001, [0.99], []);
      const ids = (runs: { id: string }[]) => runs.map((r) => r.id);
      assert.deepEqual(new Set(ids(s.listRuns({ filter: { project: 'p1' } }))), new Set([a, b, c]));
      assert.deepEqual(ids(s.listRuns({ filter: { status: 'failed' } })), [c]);
      assert.deepEqual(new Set(ids(s.listRuns({ filter: { status: ['failed', 'completed'], project: 'p1' } }))), new Set([a, b, c]));
      assert.deepEqual(ids(s.listRuns({ filter: { tags: ['x', 'y'] } })), [b]);
      assert.deepEqual(ids(s.listRuns({ filter: { name: '_' , project: 'p2' } })), [d]);
      assert.deepEqual(new Set(ids(s.listRuns({ filter: { config: { 'optim.lr': 0.001 } } }))), new Set([a, d]));
      assert.deepEqual(ids(s.listRuns({ filter: { config: { amp: true } } })), [b]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p1' }, orderBy: { metric: 'val/acc', reduce: 'max' } }).map((r) => [r.id, r.sortValue]), [[a, 0.9], [b, 0.8], [c, null]]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p1' }, orderBy: { metric: 'val/acc' } }).map((r) => [r.id, r.sortValue]), [[b, 0.8], [a, 0.7], [c, null]]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p1' }, orderBy: { metric: 'val/acc', reduce: 'min', direction: 'asc' } }).map((r) => r.id), [a, b, c]);
      assert.deepEqual(ids(s.listRuns({ orderBy: { metric: 'val/acc', reduce: 'max' }, limit: 1 })), [d]);
      assert.throws(() => s.listRuns({ orderBy: { metric: 'x', reduce: 'mean' as 'max' } }), /reduce must be/);
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'store: markCrashed marks stale heartbeats on any host, leaves live runs; a crashed run that writes again is running'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const now = Date.now() / 1000;
      s.createRun({ id: 'stale', name: 'stale', project: 'p', host: 'elsewhere', pid: 1, started: now - 3600 });
      s.createRun({ id: 'fresh', name: 'fresh', project: 'p', host: 'elsewhere', pid: 1, started: now - 5 });
      s.createRun({ id: 'done', name: 'done', project: 'p', status: 'completed', host: 'elsewhere', pid: 1, started: now - 3600 });
      const mine = init({ store: s });
      assert.deepEqual(s.markCrashed(), ['stale']);
      assert.equal(s.getRun('stale')!.status, 'crashed');
      assert.equal(s.getRun('stale')!.ended, now - 3600); // the last sign of life
      assert.equal(s.getRun('fresh')!.status, 'running');
      assert.equal(s.getRun('done')!.status, 'completed');
      assert.equal(s.getRun(mine.id)!.status, 'running');
      assert.deepEqual(s.markCrashed({ heartbeatTimeoutMs: 1000, now: now + 10 }).sort(), ['fresh', mine.id].sort());
      mine.log({ x: 1 });
      mine.flush();
      assert.equal(s.getRun(mine.id)!.status, 'running');
      assert.equal(s.getRun(mine.id)!.ended, null);
      mine.finish();
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'run: NaN is stored as NULL and read back as NaN; infinities are kept'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const run = init({ store: s });
      run.log({ loss: Number.NaN, big: Infinity, small: -Infinity, z: -0 }, { step: 0 });
      run.finish('diverged');
      const raw = s.sql.all<{ key: string; value: number | null }>(`SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key`, [run.id]);
      assert.deepEqual(raw.find((r) => r.key === 'loss')!.value, null);
      assert.ok(Number.isNaN(s.metrics(run.id, 'loss')[0]!.value));
      assert.equal(s.metrics(run.id, 'big')[0]!.value, Infinity);
      assert.equal(s.metrics(run.id, 'small')[0]!.value, -Infinity);
      assert.equal(s.getRun(run.id)!.status, 'diverged');
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'store: metric_summary (last, min, max, points) follows every write, ties, NaNs and a resume, and sorts runs as the points would'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      // what the summary must say, computed from the points themselves
      const expected = (id: string) => s.metricKeys(id).map((key) => {
        const rows = s.metrics(id, key); // by step, then write order
        const vals = rows.map((r) => r.value).filter((v) => !Number.isNaN(v));
        return { key, points: rows.length, lastStep: rows.at(-1)!.step, last: rows.at(-1)!.value, min: vals.length ? Math.min(...vals) : NaN, max: vals.length ? Math.max(...vals) : NaN };
      });
      s.createRun({ id: 'r1', name: 'r1', project: 'p' });
      const w = (step: number, key: string, value: number) => ({ step, epoch: null, key, value, wallTime: 1 });
      s.write('r1', [w(0, 'loss', 3), w(1, 'loss', 2), w(2, 'loss', NaN), w(0, 'acc', 0.1)]);
      assert.deepEqual(s.metricSummaries('r1'), [
        { key: 'acc', points: 1, lastStep: 0, last: 0.1, min: 0.1, max: 0.1 },
        { key: 'loss', points: 3, lastStep: 2, last: NaN, min: 2, max: 3 },
      ]);
      // a later batch: a lower step does not move last; the same step again does (written later); infinities count
      s.write('r1', [w(1, 'acc', 0.5), w(0, 'acc', -Infinity), w(2, 'loss', 1.5), w(5, 'nan', NaN)]);
      s.write('r1', [w(1, 'acc', 0.4), w(3, 'loss', Infinity)]);
      assert.deepEqual(s.metricSummaries('r1'), expected('r1'));
      const acc = s.metricSummaries('r1').find((m) => m.key === 'acc')!;
      assert.deepEqual(acc, { key: 'acc', points: 4, lastStep: 1, last: 0.4, min: -Infinity, max: 0.5 });
      assert.ok(Number.isNaN(s.metricSummaries('r1').find((m) => m.key === 'nan')!.min));
      // a resume drops the points after its step: the summary is rebuilt from the rest
      s.resumeRun('r1', 1);
      assert.deepEqual(s.metricSummaries('r1'), expected('r1'));
      assert.deepEqual(s.metricKeys('r1'), ['acc', 'loss']);
      assert.deepEqual(s.metricSummaries('r1').find((m) => m.key === 'loss'), { key: 'loss', points: 2, lastStep: 1, last: 2, min: 2, max: 3 });
      // many keys in one batch (more than one upsert statement)
      s.createRun({ id: 'r2', name: 'r2', project: 'q' });
      s.write('r2', Array.from({ length: 1200 }, (_, i) => w(i % 7, `k${String(i % 600).padStart(3, '0')}`, i)));
      const sum2 = s.metricSummaries('r2');
      assert.equal(sum2.length, 600);
      assert.deepEqual(sum2, expected('r2'));
      assert.deepEqual(s.projectMetricKeys('p'), ['acc', 'loss']);
      assert.equal(s.projectMetricKeys().length, 602);
      // sorting by min/max/last reads the summary and agrees with the points
      s.createRun({ id: 'r3', name: 'r3', project: 'p' });
      s.write('r3', [w(0, 'loss', 0.5), w(1, 'loss', 2.5)]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p' }, orderBy: { metric: 'loss', reduce: 'min', direction: 'asc' } }).map((r) => [r.id, r.sortValue]), [['r3', 0.5], ['r1', 2]]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p' }, orderBy: { metric: 'loss', reduce: 'max' } }).map((r) => [r.id, r.sortValue]), [['r1', 3], ['r3', 2.5]]);
      assert.deepEqual(s.listRuns({ filter: { project: 'p' }, orderBy: { metric: 'loss', reduce: 'last' } }).map((r) => [r.id, r.sortValue]), [['r3', 2.5], ['r1', 2]]);
      // deleting a run deletes its summary
      assert.equal(s.deleteRun('r2'), true);
      assert.deepEqual(s.metricSummaries('r2'), []);
      assert.equal(s.sql.get<{ n: number }>(`SELECT count(*) AS n FROM metric_summary WHERE run_id = 'r2'`)!.n, 0);
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'run: bad input gives clear errors and writes nothing'), async () => {
    const t = await b.fresh();
    try {
      const s = RunStore.open(t.location);
      const run = init({ store: s });
      const bad = (v: unknown) => () => run.log(v as Record<string, number>);
      assert.throws(bad({ loss: '0.5' }), { name: 'TypeError', message: /metric 'loss' must be a number \(got string '0.5'\)/ });
      assert.throws(bad({ a: 1, b: null }), /metric 'b' must be a number \(got null\)/);
      assert.throws(bad({ a: 1n }), /metric 'a' must be a number \(got bigint\)/);
      assert.throws(bad({ a: true }), /must be a number \(got boolean\)/);
      assert.throws(bad({ a: undefined }), /must be a number \(got undefined\)/);
      assert.throws(bad({ a: { b: 1 } }), /must be a number \(got object\)/);
      assert.throws(bad([1, 2]), /plain object .* \(got an array\)/);
      assert.throws(bad(new Map([['a', 1]])), /got a Map/);
      assert.throws(bad(null), /got null/);
      assert.throws(bad(0.5), /got number/);
      assert.throws(bad({ [Symbol('k')]: 1 }), /keys must be strings \(got a symbol key\)/);
      assert.throws(bad({ '': 1 }), /non-empty string/);
      assert.throws(bad({ 'a\nb': 1 }), /control characters/);
      assert.throws(bad({ ['k'.repeat(300)]: 1 }), /longer than 256/);
      assert.throws(() => run.log({ a: 1 }, { step: -1 }), /step must be a non-negative integer \(got -1\)/);
      assert.throws(() => run.log({ a: 1 }, { step: 1.5 }), /step must be a non-negative integer/);
      assert.throws(() => run.log({ a: 1 }, { step: Number.NaN }), /step must be/);
      assert.throws(() => run.log({ a: 1 }, { epoch: Number.NaN }), /epoch must be a finite number/);
      assert.throws(() => run.event('', 'x'), /type must be a non-empty string/);
      assert.throws(() => run.event('t', 'x', { n: 1n }), /data must be JSON-serializable/);
      assert.throws(() => run.summary([] as unknown as Record<string, unknown>), /plain object/);
      assert.throws(() => run.finish('running'), /final status/);
      run.finish();
      assert.equal(s.metricKeys(run.id).length, 0, 'a rejected log writes none of its keys');
      assert.equal(s.events(run.id).length, 0);

      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => init({ store: s, config: cyclic }), /config must be JSON-serializable/);
      assert.throws(() => init({ store: s, config: [] as unknown as Record<string, unknown> }), /config must be a plain object/);
      assert.throws(() => init({ store: s, tags: ['a', 1 as unknown as string] }), /tags must be an array of strings/);
      assert.throws(() => init({ store: s, name: '' }), /name must be a non-empty string/);
      assert.throws(() => init({ store: s, id: run.id }), new RegExp(`a run with id '${run.id}' is already in`));
      assert.throws(() => init({ store: s, flushEvery: 0 }), /flushEvery must be a positive integer/);
      assert.throws(() => s.updateRun('nope', { status: 'failed' }), /no run with id 'nope'/);
      assert.equal(s.listRuns().length, 1, 'failed inits leave no runs');
      s.close();
    } finally {
      t.done();
    }
  });

  test(title(b, 'run: a 10,000-point log loop takes well under a second'), async (t) => {
    const d = await b.fresh();
    try {
      const s = RunStore.open(d.location);
      const run = init({ store: s });
      const t0 = performance.now();
      for (let i = 0; i < 10_000; i++) run.log({ 'train/loss': 1 / (i + 1) }, { step: i });
      run.finish();
      const ms = performance.now() - t0;
      t.diagnostic(`10,000 log() calls + finish: ${ms.toFixed(1)} ms`);
      assert.equal(s.metrics(run.id, 'train/loss').length, 10_000);
      assert.ok(ms < b.tenThousandPointsMs, `10,000 points took ${ms.toFixed(0)} ms`);
      s.close();
      if (b.name === 'sqlite') assert.ok(existsSync(d.location));
    } finally {
      d.done();
    }
  });
}
