// Healthy setups pass every training model check (no fail, no error), and the checks leave the
// context as they found it: the global RNG, ctx.model's weights, buffers, gradients and modes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, type Tensor } from '../../../src/index.js';
import { TRAINING_MODEL_CHECKS } from '../../../src/checks/model/training.js';
import type { CheckResult, DoctorContext } from '../../../src/checks/types.js';
import { blobs, cnn, linear, makeCtx, mlp, show, squares, type Setup } from './helpers.js';

function snapshot(ctx: DoctorContext): { state: Record<string, Tensor>; modes: boolean[]; rng: Tensor } {
  return {
    state: torch.tidy(() => Object.fromEntries(Object.entries(ctx.model.stateDict()).map(([k, v]) => [k, v.clone().keep()]))),
    modes: [...ctx.model.modules()].map((m) => m.training),
    rng: torch.getRngState().keep(),
  };
}

function assertSame(ctx: DoctorContext, before: ReturnType<typeof snapshot>): void {
  const now = snapshot(ctx);
  for (const [k, v] of Object.entries(before.state)) {
    assert.ok(torch.tidy(() => v.equal(now.state[k]!)), `ctx.model ${k} changed`);
  }
  assert.deepEqual(now.modes, before.modes, 'train/eval modes changed');
  assert.ok(torch.tidy(() => now.rng.equal(before.rng)), 'global RNG state changed');
  for (const p of ctx.model.parameters()) assert.equal(p.grad, null, 'a gradient was left on ctx.model');
}

async function runAll(s: Setup): Promise<CheckResult[]> {
  const ctx = await makeCtx(s);
  const before = snapshot(ctx);
  const results: CheckResult[] = [];
  for (const c of TRAINING_MODEL_CHECKS) {
    const r = await c.run(ctx);
    console.log(show(r));
    results.push(r);
    assertSame(ctx, before);
  }
  return results;
}

function noFail(results: CheckResult[]): void {
  for (const r of results) {
    assert.ok(r.verdict !== 'fail' && r.verdict !== 'error', show(r));
    assert.equal(r.group, 'model');
    assert.ok(r.summary.length > 0 && r.seconds >= 0);
  }
}

test('TRAINING_MODEL_CHECKS: ids and order (cheaper first)', () => {
  assert.deepEqual(TRAINING_MODEL_CHECKS.map((c) => c.id), ['nan-origin', 'gradient-flow', 'update-ratio', 'overfit-batch', 'input-independent-baseline', 'lr-range-test']);
  const rank = { cheap: 0, moderate: 1, expensive: 2 };
  const costs = TRAINING_MODEL_CHECKS.map((c) => rank[c.cost]);
  assert.deepEqual(costs, [...costs].sort((a, b) => a - b));
});

test('healthy MLP on blobs (Adam): no fail, state restored, figures are PNGs', async () => {
  const results = await runAll({ train: blobs(512, 1), val: blobs(256, 2), model: () => mlp() });
  noFail(results);
  for (const r of results) assert.equal(r.verdict, 'pass', show(r));
  const overfit = results.find((r) => r.id === 'overfit-batch')!;
  assert.ok(Array.isArray(overfit.evidence.lossCurve) && (overfit.evidence.lossCurve as number[]).length > 1);
  assert.equal(overfit.evidence.finalAccuracy, 1);
  for (const id of ['overfit-batch', 'lr-range-test']) {
    const png = results.find((r) => r.id === id)!.figures![0]!.png;
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  }
});

test('healthy CNN with BatchNorm and Dropout on square images (SGD momentum): no fail, no val split', async () => {
  const results = await runAll({
    train: squares(512, 3),
    model: () => cnn(),
    optimizer: (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }),
  });
  noFail(results);
  const base = results.find((r) => r.id === 'input-independent-baseline')!;
  assert.equal(base.verdict, 'pass', show(base));
  assert.match(String(base.evidence.heldOut), /held-out train/);
});

test('healthy regression MLP (MSE, Adam): no fail', async () => {
  const results = await runAll({
    train: linear(512, 5),
    val: linear(256, 6),
    model: () => new nn.Sequential(new nn.Linear(8, 32), new nn.Tanh(), new nn.Linear(32, 1)),
    loss: (o, t) => nn.mseLoss(o, t),
    optimizer: (m) => new optim.Adam(m.parameters(), { lr: 1e-2 }),
  });
  noFail(results);
  const overfit = results.find((r) => r.id === 'overfit-batch')!;
  assert.equal(overfit.evidence.finalAccuracy, null);
});

test('a gradient already on ctx.model survives the checks', async () => {
  const ctx = await makeCtx({ train: blobs(256, 1), model: () => mlp() });
  torch.tidy(() => nn.crossEntropy(ctx.model.call(ctx.splits.train.inputs.narrow(0, 0, 8)), ctx.splits.train.targets.narrow(0, 0, 8)).backward());
  const g0 = torch.tidy(() => ctx.model.parameters()[0]!.grad!.clone().keep());
  for (const c of TRAINING_MODEL_CHECKS.slice(0, 4)) await c.run(ctx);
  assert.ok(torch.tidy(() => ctx.model.parameters()[0]!.grad!.equal(g0)));
  g0.dispose();
});
