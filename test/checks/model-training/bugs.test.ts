// The bug zoo: each planted bug is caught by the check meant for it, naming what is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, type Tensor } from '../../../src/index.js';
import {
  gradientFlow, lrRangeTest, nanOrigin, overfitBatch, updateRatio, NAN_ORIGIN, GRADIENT_FLOW, OVERFIT_BATCH,
  INPUT_INDEPENDENT_BASELINE, LR_RANGE_TEST, UPDATE_RATIO,
} from '../../../src/checks/model/training.js';
import { blobs, makeCtx, mlp, show, type Data } from './helpers.js';

/** The same samples with their labels permuted: inputs and labels no longer belong together. */
function shuffledLabels(d: Data, seed: number): Data {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const perm = torch.randperm(d.targets.shape[0]!);
    return { inputs: d.inputs, targets: d.targets.index_select(0, perm).keep() };
  });
}

class Fn extends nn.Module {
  constructor(readonly f: (x: Tensor) => Tensor, readonly label: string) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return this.f(x);
  }
}

/** Output = 0·fc(x) + bias: it cannot depend on the input. */
class IgnoresInput extends nn.Module {
  fc = new nn.Linear(8, 4);
  bias = nn.Parameter(torch.zeros([4]));
  override forward(x: Tensor): Tensor {
    return this.fc.call(x).mul(0).add(this.bias);
  }
}

test('labels shuffled apart from inputs: input-independent-baseline fails (val split and held-out train)', async () => {
  const train = blobs(512, 1);
  const bad = shuffledLabels(train, 9);
  for (const val of [blobs(256, 2), undefined]) {
    const ctx = await makeCtx({ train: bad, ...(val ? { val } : {}), model: () => mlp() });
    const r = await INPUT_INDEPENDENT_BASELINE.run(ctx);
    console.log(show(r));
    assert.equal(r.verdict, 'fail', show(r));
    assert.match(r.summary, /does not use its inputs/);
    assert.match(r.summary, /labels shuffled/);
    assert.ok(r.fix);
  }
});

test('LR far too high (SGD lr=10): lr-range-test fails and update-ratio warns, naming the LR', async () => {
  const ctx = await makeCtx({ train: blobs(512, 1), val: blobs(256, 2), model: () => mlp(), optimizer: (m) => new optim.SGD(m.parameters(), { lr: 10 }) });
  const lr = await LR_RANGE_TEST.run(ctx);
  console.log(show(lr));
  assert.equal(lr.verdict, 'fail', show(lr));
  assert.match(lr.summary, /lr=10\b/);
  assert.equal(lr.evidence.configuredLr, 10);
  assert.ok((lr.evidence.suggestedLr as number) < 1, 'the suggestion is far below 10');
  const up = await UPDATE_RATIO.run(ctx);
  console.log(show(up));
  assert.equal(up.verdict, 'warn', show(up));
  assert.match(up.summary, /lr=10\b.*too high/);
});

test('a low LR is flagged too (SGD lr=1e-6)', async () => {
  const ctx = await makeCtx({ train: blobs(512, 1), model: () => mlp(), optimizer: (m) => new optim.SGD(m.parameters(), { lr: 1e-6 }) });
  const lr = await lrRangeTest({ seeds: 2 }).run(ctx);
  console.log(show(lr));
  assert.equal(lr.verdict, 'warn', show(lr));
  assert.match(lr.summary, /lr=1\.00e-6 .*below/);
  const up = await updateRatio().run(ctx);
  assert.equal(up.verdict, 'warn', show(up));
  assert.match(up.summary, /below/);
});

test('a NaN-producing op in forward: nan-origin names the op and the layer (log, sqrt of negatives)', async () => {
  for (const [op, f] of [['log', (x: Tensor) => x.log()], ['sqrt', (x: Tensor) => x.sqrt()]] as const) {
    const ctx = await makeCtx({ train: blobs(256, 1), model: () => new nn.Sequential(new nn.Linear(8, 16), new Fn(f, op), new nn.Linear(16, 4)) });
    const r = await NAN_ORIGIN.run(ctx);
    console.log(show(r));
    assert.equal(r.verdict, 'fail', show(r));
    assert.match(String(r.evidence.op), new RegExp(op));
    assert.equal(r.evidence.module, '1 (Fn)');
    assert.equal(r.evidence.phase, 'forward');
    assert.match(r.summary, new RegExp(`op ${op}.* in 1 \\(Fn\\)`));
  }
});

test('a NaN born in backward only (sqrt at 0): nan-origin names the backward node', async () => {
  const ctx = await makeCtx({ train: blobs(256, 1), model: () => new nn.Sequential(new nn.Linear(8, 16), new Fn((x) => x.add(x.sub(x).sqrt()), 'sqrt0'), new nn.Linear(16, 4)) });
  const r = await nanOrigin().run(ctx);
  console.log(show(r), r.evidence.anomaly);
  assert.equal(r.verdict, 'fail', show(r));
  assert.equal(r.evidence.phase, 'backward');
  assert.ok(r.evidence.op, 'the backward node is named');
  assert.ok((r.evidence.nonFiniteGradients as string[]).includes('0 (Linear)'));
});

test('a vanishing path (×1e-8): gradient-flow fails naming the layer behind it', async () => {
  const ctx = await makeCtx({
    train: blobs(256, 1),
    model: () => new nn.Sequential(new nn.Linear(8, 32), new Fn((x) => x.mul(1e-8), 'tiny'), new nn.ReLU(), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 4)),
  });
  const r = await GRADIENT_FLOW.run(ctx);
  console.log(show(r));
  assert.equal(r.verdict, 'fail', show(r));
  assert.deepEqual(r.evidence.vanishing, ['0 (Linear)']);
  assert.match(r.summary, /vanishing gradients .* in 0 \(Linear\)/);
});

test('dead ReLUs and saturated tanh: gradient-flow warns', async () => {
  const ctx = await makeCtx({
    train: blobs(256, 1),
    model: () => new nn.Sequential(new nn.Linear(8, 32), new Fn((x) => x.sub(100), 'shift'), new nn.ReLU(), new nn.Linear(32, 32), new Fn((x) => x.mul(100), 'big'), new nn.Tanh(), new nn.Linear(32, 4)),
  });
  const r = await gradientFlow().run(ctx);
  console.log(show(r));
  assert.notEqual(r.verdict, 'pass', show(r));
  assert.match(r.summary, /dead ReLUs .* 2 \(ReLU\) 100%/);
  assert.match(r.summary, /saturated activations in 5 \(Tanh\)/);
});

test('a model whose output ignores its input cannot overfit a batch: the stuck layer is named', async () => {
  const ctx = await makeCtx({ train: blobs(256, 1), val: blobs(128, 2), model: () => new IgnoresInput() });
  const r = await OVERFIT_BATCH.run(ctx);
  console.log(show(r));
  assert.equal(r.verdict, 'fail', show(r));
  assert.deepEqual(r.evidence.stuckLayers, ['fc (Linear)']);
  assert.match(r.summary, /cannot overfit .*fc \(Linear\)/);
  assert.ok((r.evidence.runs as string[]).some((s) => /^Adam lr=0.001/.test(s)), 'the Adam fallback ran');
  const base = await INPUT_INDEPENDENT_BASELINE.run(ctx);
  assert.equal(base.verdict, 'fail', show(base));
});

test('a model too small to memorise (one hidden unit) fails overfit-batch', async () => {
  const ctx = await makeCtx({ train: blobs(256, 1, 8, 4), model: () => new nn.Sequential(new nn.Linear(8, 1), new nn.Linear(1, 4)) });
  const r = await overfitBatch({ steps: 150, fallbackLrs: [1e-3] }).run(ctx);
  console.log(show(r));
  assert.equal(r.verdict, 'fail', show(r));
  assert.match(r.summary, /cannot overfit/);
});
