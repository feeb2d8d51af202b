// The run store across processes, for both backends: four child processes log 2,000 metrics each
// into one store while this process reads (no SQLITE_BUSY, every row, integrity ok); a child killed
// with SIGKILL is marked crashed by markCrashed(); a child that exits without finish() is finished by
// the exit hook. store-processes.test.ts runs them on SQLite, store-postgres.test.ts on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunStore } from '../../src/track/index.js';
import { title, type StoreBackend } from './store-cases.js';

// the built module (dist/src/track/index.js), by absolute path
export const TRACK = fileURLToPath(new URL('../../src/track/index.js', import.meta.url));

const WRITER = `
import { init } from ${JSON.stringify(TRACK)};
const [db, idx, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const run = init({ store: db, project: 'concurrent', name: 'writer-' + idx, flushEvery: 25 });
for (let i = 0; i < n; i++) {
  run.log({ value: i / 7 + idx / 3 }, { step: i });
  if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // let the writers interleave
}
run.finish();
process.stdout.write(JSON.stringify({ id: run.id }) + '\\n');
`;

const SLEEPER = `
import { init } from ${JSON.stringify(TRACK)};
const run = init({ store: process.argv[2], project: 'crash', name: 'killed' });
for (let i = 0; i < 100; i++) run.log({ loss: 1 / (i + 1) }, { step: i });
run.flush();
process.stdout.write(JSON.stringify({ id: run.id }) + '\\n');
setInterval(() => {}, 1000); // train forever, until killed
`;

const EXITER = `
import { init } from ${JSON.stringify(TRACK)};
const run = init({ store: process.argv[2], project: 'exit', flushEvery: 1000 });
for (let i = 0; i < 10; i++) run.log({ loss: i }, { step: i });
process.stdout.write(JSON.stringify({ id: run.id }) + '\\n');
process.exitCode = Number(process.argv[3]); // no finish(): the exit hook flushes and finishes
`;

export interface Child { proc: ChildProcess; stdout: string; stderr: string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

export function start(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c: Child = { proc, stdout: '', stderr: '', exited: new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal }))) };
  proc.stdout!.on('data', (d: Buffer) => { c.stdout += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { c.stderr += d.toString(); });
  return c;
}

export function firstLine(c: Child): Promise<{ id: string }> {
  return new Promise((res, rej) => {
    const check = () => {
      const nl = c.stdout.indexOf('\n');
      if (nl >= 0) { c.proc.stdout!.off('data', check); res(JSON.parse(c.stdout.slice(0, nl)) as { id: string }); }
    };
    c.proc.stdout!.on('data', check);
    c.proc.on('exit', () => rej(new Error(`child exited before writing its run id: ${c.stderr}`)));
    check();
  });
}

async function setup(b: StoreBackend): Promise<{ dir: string; db: string; script: (name: string, text: string) => string; done: () => void }> {
  const f = await b.fresh();
  return {
    dir: f.dir,
    db: f.location,
    script: (name, text) => { const p = join(f.dir, name); writeFileSync(p, text); return p; },
    done: f.done,
  };
}

export function processCases(b: StoreBackend): void {
  test(title(b, 'store: four processes write 2,000 metrics each to one store while this one reads'), async (t) => {
    const s = await setup(b);
    try {
      const store = RunStore.open(s.db); // creates the schema before the writers start
      const script = s.script('writer.mjs', WRITER);
      const N = 2000;
      const t0 = performance.now();
      const children = [0, 1, 2, 3].map((i) => start(script, [s.db, String(i), String(N)]));
      let reads = 0;
      let last = 0;
      const readErrors: unknown[] = [];
      const reader = setInterval(() => {
        try {
          const n = store.sql.get<{ n: number }>('SELECT count(*) AS n FROM metrics')!.n;
          assert.ok(n >= last, 'the row count never goes back');
          last = n;
          store.listRuns({ filter: { project: 'concurrent' }, orderBy: { metric: 'value', reduce: 'max' } });
          reads++;
        } catch (e) {
          readErrors.push(e);
        }
      }, 2);
      const results = await Promise.all(children.map((c) => c.exited));
      clearInterval(reader);
      t.diagnostic(`4 writers x ${N} metrics: ${(performance.now() - t0).toFixed(0)} ms (with process start), ${reads} reads meanwhile`);
      for (const [i, c] of children.entries()) {
        assert.deepEqual(results[i], { code: 0, signal: null }, `writer ${i} failed: ${c.stderr}`);
        assert.doesNotMatch(c.stderr, /SQLITE_BUSY|locked/);
      }
      assert.deepEqual(readErrors, []);
      assert.ok(reads > 0);
      const ids = children.map((c) => (JSON.parse(c.stdout.trim()) as { id: string }).id);
      assert.equal(new Set(ids).size, 4);
      for (const [idx, id] of ids.entries()) {
        const run = store.getRun(id)!;
        assert.equal(run.status, 'completed');
        assert.equal(run.name, `writer-${idx}`);
        const rows = store.metrics(id, 'value');
        assert.equal(rows.length, N);
        assert.deepEqual(rows.map((r) => r.step), Array.from({ length: N }, (_, i) => i));
        assert.deepEqual(rows.map((r) => r.value), Array.from({ length: N }, (_, i) => i / 7 + idx / 3));
      }
      assert.equal(store.sql.get<{ n: number }>('SELECT count(*) AS n FROM metrics')!.n, 4 * N);
      assert.equal(store.integrityCheck(), 'ok');
      if (b.name === 'sqlite') assert.deepEqual(store.db.pragma('foreign_key_check'), []);
      store.close();
    } finally {
      s.done();
    }
  });

  test(title(b, 'store: a run whose process is killed with SIGKILL is marked crashed'), async () => {
    const s = await setup(b);
    try {
      const store = RunStore.open(s.db);
      const child = start(s.script('sleeper.mjs', SLEEPER), [s.db]);
      const { id } = await firstLine(child);
      assert.equal(store.getRun(id)!.pid, child.proc.pid);
      assert.deepEqual(store.markCrashed(), [], 'a live process is not crashed');
      assert.equal(store.getRun(id)!.status, 'running');
      child.proc.kill('SIGKILL');
      assert.deepEqual(await child.exited, { code: null, signal: 'SIGKILL' }); // reaped: its pid is gone
      assert.deepEqual(store.markCrashed(), [id]);
      const run = store.getRun(id)!;
      assert.equal(run.status, 'crashed');
      assert.equal(run.ended, run.heartbeat);
      assert.equal(store.metrics(id, 'loss').length, 100, 'what was flushed before the kill is kept');
      assert.deepEqual(store.markCrashed(), [], 'only once');
      assert.equal(store.integrityCheck(), 'ok');
      store.close();
    } finally {
      s.done();
    }
  });

  test(title(b, 'run: a process that exits without finish() flushes; the status follows the exit code'), async () => {
    const s = await setup(b);
    try {
      const script = s.script('exiter.mjs', EXITER);
      const store = RunStore.open(s.db);
      for (const [code, status] of [[0, 'completed'], [3, 'failed']] as const) {
        const child = start(script, [s.db, String(code)]);
        const { id } = await firstLine(child);
        assert.equal((await child.exited).code, code, child.stderr);
        assert.equal(store.getRun(id)!.status, status);
        assert.equal(store.metrics(id, 'loss').length, 10);
      }
      store.close();
    } finally {
      s.done();
    }
  });
}
