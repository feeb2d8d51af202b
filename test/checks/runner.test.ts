// The doctor's runner and report: cheap checks first, a check that throws becomes an 'error' result
// while the others run, the generator state is the same for every check and restored after, and the
// report is written as JSON (no image bytes) and a self-contained HTML page with the figures inlined.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { torch, nn, optim } from '../../src/index.js';
import { runChecks, worst } from '../../src/checks/runner.js';
import { writeReport, formatReport } from '../../src/checks/report.js';
import { contextFromTensors } from '../../src/checks/context.js';
import type { Check, CheckResult } from '../../src/checks/types.js';
import { repoRoot } from '../helpers/oracle.js';

function png(): Uint8Array {
  const p = new PNG({ width: 2, height: 2 });
  p.data.fill(200);
  return PNG.sync.write(p);
}

function check(id: string, cost: Check['cost'], body: () => Partial<CheckResult>): Check {
  return {
    id, title: `check ${id}`, group: 'model', cost,
    run: async () => ({ id, title: `check ${id}`, group: 'model', verdict: 'pass', summary: 'ok', evidence: {}, seconds: 0, ...body() }),
  };
}

test('runner: cheap first, errors contained, same RNG state for each check, report files', async () => {
  const x = torch.randn([8, 1, 1, 4]).keep();
  const y = torch.randint(0, 2, [8]).keep();
  const ctx = await contextFromTensors({
    makeModel: () => new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 2)),
    makeOptimizer: (m) => new optim.SGD(m.parameters(), { lr: 0.1 }),
    loss: new nn.CrossEntropyLoss(),
    train: { inputs: x, targets: y },
    seed: 5,
  });
  const draws: number[] = [];
  const order: string[] = [];
  const checks: Check[] = [
    check('slow', 'expensive', () => { order.push('slow'); draws.push(torch.rand([1]).item()); return { verdict: 'warn', fix: 'do less', figures: [{ name: 'plot', caption: 'a plot', png: png() }] }; }),
    check('boom', 'moderate', () => { order.push('boom'); throw new Error('the check broke'); }),
    check('quick', 'cheap', () => { order.push('quick'); draws.push(torch.rand([1]).item()); return { verdict: 'fail', summary: 'found it', fix: 'fix it' }; }),
  ];
  torch.manualSeed(123);
  const before = torch.rand([1]).item();
  torch.manualSeed(123);
  const rep = await runChecks(checks, ctx);
  assert.equal(torch.rand([1]).item(), before, 'the caller\'s generator state is restored');
  assert.deepEqual(order, ['quick', 'boom', 'slow']);
  assert.equal(draws[0], draws[1], 'each check starts from the same seed');
  assert.deepEqual(rep.results.map((r) => r.verdict), ['fail', 'error', 'warn']);
  assert.match(rep.results[1]!.summary, /the check itself failed: the check broke/);
  assert.equal(rep.verdict, 'fail');
  assert.deepEqual(rep.counts, { pass: 0, warn: 1, fail: 1, skip: 0, error: 1 });
  assert.equal(worst(['pass', 'warn']), 'warn');
  assert.equal(worst([]), 'skip');
  assert.match(formatReport(rep), /FAIL {2}check quick: found it[\s\S]*fix: fix it[\s\S]*1 failed, 1 errors, 1 warnings, 0 passed/);
  const cheap = await runChecks(checks, ctx, { costs: ['cheap'] });
  assert.deepEqual(cheap.results.map((r) => r.id), ['quick']);
  await assert.rejects(() => runChecks(checks, ctx, { only: ['nope'] }), /unknown check\(s\) nope; the checks are slow, boom, quick/);

  const dir = mkdtempSync(join(tmpdir(), 'sous-report-'));
  const { json, html } = writeReport(dir, rep, { title: 'T <&>' });
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.results[2].figures[0].file, 'slow-plot.png');
  assert.equal(j.results[2].figures[0].png, undefined);
  assert.ok(existsSync(join(dir, 'slow-plot.png')));
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<img alt="a plot" src="data:image\/png;base64,/);
  assert.match(page, /T &lt;&amp;&gt;/);
  assert.doesNotMatch(page, /<script|https?:\/\//, 'self-contained: no scripts, no remote resources');
  rmSync(dir, { recursive: true });
  ctx.model.dispose();
  x.dispose();
  y.dispose();
});

test("doctor() from 'sous': on a context (cheap checks) and on a config path (one check), with the report written", async () => {
  const { doctor } = await import('../../src/index.js');
  const x = torch.randn([64, 1, 4, 4]).keep();
  const y = torch.randint(0, 3, [64]).keep();
  const ctx = await contextFromTensors({
    makeModel: () => new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 3)),
    makeOptimizer: (m) => new optim.Adam(m.parameters(), { lr: 1e-3 }),
    loss: new nn.CrossEntropyLoss(),
    train: { inputs: x, targets: y },
  });
  const dir = mkdtempSync(join(tmpdir(), 'sous-doctor-'));
  const rep = await doctor(ctx, { cheap: true, out: dir });
  assert.ok(rep.results.length >= 10);
  assert.ok(rep.results.every((r) => r.verdict !== 'error'), rep.results.map((r) => `${r.id} ${r.verdict} ${r.summary}`).join('\n'));
  assert.ok(existsSync(join(dir, 'doctor.html')) && existsSync(join(dir, 'doctor.json')));
  const onConfig = await doctor(join(repoRoot(), 'configs/fashion.yaml'), { only: ['loss-at-init'], overrides: ['data.limit=500', 'data.test_limit=100'] });
  assert.deepEqual(onConfig.results.map((r) => [r.id, r.verdict]), [['loss-at-init', 'pass']]);
  rmSync(dir, { recursive: true });
  ctx.model.dispose();
  x.dispose();
  y.dispose();
});
