// Every job is recorded in the store: a training run, a doctor run (its checks as events, the HTML
// report as an artifact) and an evaluation (its metrics, tagged with the run it evaluated).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun } from '../../src/experiment/index.js';
import { RunStore } from '../../src/track/index.js';
import { doctorCommand } from '../../src/cli/doctor.js';
import { evalCommand } from '../../src/cli/eval.js';
import { repoRoot } from '../helpers/oracle.js';

let dir = '';
let saved: string | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sous-record-'));
  saved = process.env.SOUS_STORE;
  process.env.SOUS_STORE = join(dir, 'runs.db');
});
after(() => {
  if (saved === undefined) delete process.env.SOUS_STORE;
  else process.env.SOUS_STORE = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command with stdout captured. */
async function quietly(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
  try {
    return { code: await f(), out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('jobs in the store', () => {
  it('train, doctor and eval each leave a run in the store', async () => {
    const config = join(repoRoot(), 'configs', 'fashion.yaml');
    const small = [`out_dir=${join(dir, 'runs')}`, 'data.limit=600', 'data.test_limit=100', 'trainer.epochs=1', 'model.channels=[8,16]', 'model.hidden=32', 'trainer.checkpoint_every=null'];
    const trained = await trainRun(config, small);
    const doc = await quietly(() => doctorCommand([config, ...small, '--cheap']));
    assert.equal(doc.code, 0, doc.out);
    const ev = await quietly(() => evalCommand([trained.run.dir]));
    assert.equal(ev.code, 0, ev.out);

    const store = RunStore.open(join(dir, 'runs.db'), { readonly: true });
    try {
      const runs = store.listRuns();
      assert.equal(runs.length, 3, runs.map((r) => r.name).join(', '));
      const byTag = (t: string) => runs.filter((r) => r.tags.includes(t));
      assert.ok(runs.some((r) => r.id === trained.run.id && r.status === 'completed'));
      const [d] = byTag('doctor');
      assert.ok(d, 'a doctor run');
      assert.equal(d.status, 'completed');
      const counts = d.summary.doctor as Record<string, number>;
      assert.ok(counts.pass! > 5 && counts.error === 0, JSON.stringify(counts));
      const checks = store.events(d.id).filter((e) => e.type === 'check');
      assert.equal(checks.length, counts.pass! + counts.warn! + counts.fail! + counts.skip! + counts.error!);
      assert.ok(checks.some((e) => /^loss-at-init: pass/.test(e.message)), checks.map((e) => e.message).join('\n'));
      const html = store.artifacts(d.id).find((a) => a.name === 'doctor.html');
      assert.ok(html && existsSync(html.path), 'the HTML report is an artifact');
      const [e] = byTag('eval');
      assert.ok(e, 'an eval run');
      assert.ok(e.tags.includes(`of:${trained.run.id}`));
      assert.equal(e.summary['test/accuracy'], trained.test!['test/accuracy']);
      assert.deepEqual(store.metricKeys(e.id).includes('test/accuracy'), true);
      const folder = join(trained.run.dir, 'evals');
      assert.ok(existsSync(folder));
      const evalJson = JSON.parse(readFileSync(join(folder, e.id.split('~')[1]!, 'eval.json'), 'utf8'));
      assert.equal(evalJson.metrics['test/accuracy'], trained.test!['test/accuracy']);
    } finally {
      store.close();
    }
  });
});
