// The basic model checks (src/checks/model/basic): healthy setups pass all five; each member of
// the bug zoo is flagged by the right check with a message that names the bug.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, type Tensor } from '../../../src/index.js';
import {
  BASIC_MODEL_CHECKS, lossAtInit, outputActivation, deadParameters, batchIndependence, stepEffect, applyInitBias, labelPrior,
} from '../../../src/checks/model/basic.js';
import type { CheckResult, DoctorContext } from '../../../src/checks/types.js';
import {
  C, context, mlp, cnn, regressor, imageData, regressionData, sgd, DiscardedBranch, MixingNet, InlineMixingNet, BatchSoftmaxNet,
  stepWithoutBackward, stepWithoutOptimizerStep, stepWithoutZeroGrad, stepZeroGradAfter,
} from './fixtures.js';

function show(r: CheckResult): string {
  return `${r.id}: ${r.verdict} — ${r.summary}${r.fix ? `\n  fix: ${r.fix}` : ''}`;
}

async function runAll(ctx: DoctorContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of BASIC_MODEL_CHECKS) out.push(await c.run(ctx));
  return out;
}

function expectVerdict(r: CheckResult, verdict: CheckResult['verdict'], ...patterns: RegExp[]): void {
  assert.equal(r.verdict, verdict, show(r));
  for (const p of patterns) assert.match(`${r.summary} ${r.fix ?? ''}`, p, show(r));
}

describe('BASIC_MODEL_CHECKS', () => {
  it('lists five cheap model checks, loss at init first', () => {
    assert.deepEqual(BASIC_MODEL_CHECKS.map((c) => c.id), ['loss-at-init', 'output-activation', 'dead-parameters', 'batch-independence', 'step-effect']);
    for (const c of BASIC_MODEL_CHECKS) {
      assert.equal(c.group, 'model');
      assert.equal(c.cost, 'cheap');
    }
  });
});

describe('healthy setups pass all five checks', () => {
  for (const [name, setup] of [
    ['MLP classifier', { model: mlp }],
    ['CNN with BatchNorm and Dropout', { model: cnn }],
    ['regression MLP', { model: regressor, task: 'regression' as const }],
    ['MLP with SGD and a step that zeroes after the update', { model: mlp, optimizer: sgd, step: stepZeroGradAfter }],
  ] as const) {
    it(name, async () => {
      const ctx = await context(setup);
      const results = await runAll(ctx);
      for (const r of results) {
        assert.equal(r.verdict, 'pass', show(r));
        assert.equal(r.group, 'model');
        assert.ok(r.seconds >= 0);
        assert.equal(r.fix, undefined);
      }
    });
  }

  it('the checks leave the model as they found it (weights, buffers, modes, grads)', async () => {
    const ctx = await context({ model: cnn });
    ctx.model.train();
    const before = torch.tidy(() => Object.fromEntries(Object.entries(ctx.model.stateDict()).map(([k, v]) => [k, v.clone().keep()])));
    await runAll(ctx);
    torch.tidy(() => {
      const after = ctx.model.stateDict();
      for (const [k, v] of Object.entries(before)) assert.ok(v.equal(after[k]!), `${k} changed`);
    });
    for (const v of Object.values(before)) v.dispose();
    assert.ok([...ctx.model.modules()].every((m) => m.training));
    assert.ok(ctx.model.parameters().every((p) => p.grad === null));
  });
});

describe('loss-at-init', () => {
  it('gives the prior for balanced and imbalanced labels', async () => {
    const ctx = await context({ model: mlp });
    const p = labelPrior(ctx);
    assert.equal(p.prior.length, C);
    assert.ok(Math.abs(p.prior.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const imb = await context({ model: mlp, data: { inputs: imageData().inputs, targets: torch.tensor([...Array(120).fill(0), ...Array(8).fill(1)], { dtype: 'int64' }) } });
    const q = labelPrior(imb);
    assert.ok(Math.abs(q.expected - -(120 / 128 * Math.log(120 / 128) + 8 / 128 * Math.log(8 / 128))) < 1e-9);
    assert.ok(Math.abs(q.bias[0]! - Math.log(120 / 128)) < 1e-9);
  });

  it('(i) fails on a final bias of 10 on class 0, suggests the log prior, and applyInitBias fixes it', async () => {
    const ctx = await context({ model: mlp });
    const head = (ctx.model as nn.Sequential).at(3) as nn.Linear;
    torch.noGrad(() => head.bias!.copy_(torch.tensor([10, 0, 0, 0])));
    const r = await lossAtInit.run(ctx);
    expectVerdict(r, 'fail', /loss at init/, /'3' \(Linear\) bias/, /log class prior/, /applyInitBias/);
    assert.ok((r.evidence.ratio as number) > 3, show(r));
    const prior = labelPrior(ctx);
    const close = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-4);
    assert.ok(close(r.evidence.suggestedBias as number[], prior.bias), show(r));
    assert.equal(r.evidence.finalLayer, '3');
    assert.ok((r.evidence.lossWithSuggestedBias as number) < 1.75 * (r.evidence.expected as number));
    // The check put the bias back.
    assert.equal(head.bias!.toNumbers()[0], 10);
    const applied = applyInitBias(ctx.model, ctx);
    assert.equal(applied?.layer, '3');
    assert.ok(close(head.bias!.toNumbers(), prior.bias));
    expectVerdict(await lossAtInit.run(ctx), 'pass');
  });

  it('is two-sided: a loss far below the prior before training fails too', async () => {
    // Labels leak into the inputs (pixel c of row 0 is 5 for class c) and the model's weights read them.
    const d = imageData();
    const leaky = torch.tidy(() => {
      const x = d.inputs.clone();
      x.narrow(2, 0, 1).narrow(3, 0, C).copy_(torch.eye(C).index_select(0, d.targets).mul(5).reshape([128, 1, 1, C]));
      return x.keep();
    });
    const ctx = await context({ model: () => {
      const m = new nn.Sequential(new nn.Flatten(), new nn.Linear(64, C));
      const w = torch.zeros([C, 64]);
      w.narrow(1, 0, C).copy_(torch.eye(C).mul(3));
      torch.noGrad(() => {
        (m.at(1) as nn.Linear).weight.copy_(w);
        (m.at(1) as nn.Linear).bias!.zero_();
      });
      return m;
    }, data: { inputs: leaky, targets: d.targets } });
    const r = await lossAtInit.run(ctx);
    expectVerdict(r, 'fail', /better than the prior/);
    assert.ok((r.evidence.ratio as number) < 1 / 3);
  });

  it('regression: expects the target variance and suggests the target mean as bias', async () => {
    const d = regressionData();
    const shifted = { inputs: d.inputs, targets: d.targets.add(20) };
    const ctx = await context({ model: regressor, task: 'regression', data: shifted });
    const r = await lossAtInit.run(ctx);
    expectVerdict(r, 'fail', /target mean/);
    const mean = shifted.targets.mean().item();
    assert.ok(Math.abs((r.evidence.suggestedBias as number[])[0]! - mean) < 1e-3, show(r));
    assert.ok(applyInitBias(ctx.model, ctx) !== null);
    expectVerdict(await lossAtInit.run(ctx), 'pass');
  });
});

describe('output-activation', () => {
  it('(b) softmax before CrossEntropyLoss fails', async () => {
    const ctx = await context({ model: () => new nn.Sequential(mlp(), new nn.Softmax(1)) });
    const r = await outputActivation.run(ctx);
    expectVerdict(r, 'fail', /softmax before cross-entropy/, /remove the softmax/);
    assert.equal(r.evidence.lossAppliesLogSoftmax, true);
  });

  it('softmax before NLLLoss fails with the log_softmax fix; log-softmax before NLLLoss passes', async () => {
    const bad = await context({ model: () => new nn.Sequential(mlp(), new nn.Softmax(1)), loss: new nn.NLLLoss() });
    expectVerdict(await outputActivation.run(bad), 'fail', /softmax before a loss that expects log-probabilities/, /log_softmax/);
    const good = await context({ model: () => new nn.Sequential(mlp(), new nn.LogSoftmax(1)), loss: new nn.NLLLoss() });
    expectVerdict(await outputActivation.run(good), 'pass', /log-probabilities/);
  });

  it('sigmoid before cross-entropy fails', async () => {
    const ctx = await context({ model: () => new nn.Sequential(mlp(), new nn.Sigmoid()) });
    expectVerdict(await outputActivation.run(ctx), 'fail', /sigmoid before cross-entropy/);
  });

  it('(c) sigmoid on a regression output with targets in [-3, 3] fails', async () => {
    const ctx = await context({ model: () => new nn.Sequential(regressor(), new nn.Sigmoid()), task: 'regression' });
    const r = await outputActivation.run(ctx);
    expectVerdict(r, 'fail', /sigmoid on a regression output/, /\(0, 1\)/, /remove the sigmoid/);
  });

  it('ReLU on a regression output with negative targets fails', async () => {
    const ctx = await context({ model: () => new nn.Sequential(regressor(), new nn.ReLU()), task: 'regression' });
    expectVerdict(await outputActivation.run(ctx), 'fail', /ReLU on a regression output/);
  });

  it('regression targets [B] against outputs [B, 1] warn about broadcasting', async () => {
    const ctx = await context({ model: regressor, task: 'regression', data: regressionData(128, 2, 'flat'),
      loss: (o: Tensor, t: Tensor) => o.sub(t).pow(2).mean() });
    const r = await outputActivation.run(ctx);
    expectVerdict(r, 'warn', /broadcasting/, /\[16, 16\]/, /squeeze/);
  });

  it('one-hot float targets warn; class indices out of range fail', async () => {
    const d = imageData();
    const oneHot = torch.tidy(() => torch.eye(C).index_select(0, d.targets).keep());
    const ctx = await context({ model: mlp, data: { inputs: d.inputs, targets: oneHot }, task: 'classification' });
    ctx.numClasses = C;
    expectVerdict(await outputActivation.run(ctx), 'warn', /one-hot/);
    const wide = await context({ model: () => new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 3)), data: d });
    expectVerdict(await outputActivation.run(wide), 'fail', /3 classes/, /output 4 classes|remap/);
  });
});

describe('dead-parameters', () => {
  it('(a) a layer whose output is discarded fails, naming it', async () => {
    const ctx = await context({ model: () => new DiscardedBranch() });
    const r = await deadParameters.run(ctx);
    expectVerdict(r, 'fail', /aux\.weight/, /'aux' \(Linear\)/, /never reaches the loss/);
    assert.deepEqual(r.evidence.noGradient, ['aux.weight', 'aux.bias']);
  });

  it('(h) a layer frozen by mistake warns, naming it', async () => {
    const ctx = await context({ model: () => {
      const m = mlp();
      ((m as nn.Sequential).at(1) as nn.Linear).requiresGrad_(false);
      return m;
    } });
    const r = await deadParameters.run(ctx);
    expectVerdict(r, 'warn', /frozen/, /'1' \(Linear\)/, /requiresGrad_\(true\)/);
    assert.deepEqual(r.evidence.frozen, ['1.weight', '1.bias']);
  });

  it('all parameters frozen fails', async () => {
    const ctx = await context({ model: () => mlp().requiresGrad_(false), optimizer: (m) => sgd(m) });
    expectVerdict(await deadParameters.run(ctx), 'fail', /all 4 parameter tensors .* are frozen/);
  });

  it('trainable parameters left out of the optimizer fail', async () => {
    const ctx = await context({ model: mlp, optimizerParams: (m) => ((m as nn.Sequential).at(1) as nn.Linear).parameters() });
    const r = await deadParameters.run(ctx);
    expectVerdict(r, 'fail', /not in the optimizer/, /3\.weight/);
  });

  it('an all-zero gradient warns', async () => {
    class ZeroPath extends nn.Module {
      flat = new nn.Flatten();
      fc1 = new nn.Linear(64, 32);
      head = new nn.Linear(32, C);
      override forward(x: Tensor): Tensor {
        return this.head.call(this.fc1.call(this.flat.call(x)).mul(0));
      }
    }
    const r = await deadParameters.run(await context({ model: () => new ZeroPath() }));
    expectVerdict(r, 'warn', /all-zero gradient/, /fc1\.weight/);
  });

  it('a bias before BatchNorm is reported, not warned', async () => {
    const model = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, C));
    const r = await deadParameters.run(await context({ model }));
    expectVerdict(r, 'pass', /cancelled by a following normalization/);
    assert.deepEqual(r.evidence.biasCancelledByNorm, ['1.bias']);
  });
});

describe('batch-independence', () => {
  it('(g) a reshape that mixes the batch fails, naming the layer', async () => {
    const r = await batchIndependence.run(await context({ model: () => new MixingNet() }));
    expectVerdict(r, 'fail', /samples mix across the batch/, /'mix' \(BatchMix\)/);
    assert.equal(r.evidence.firstMixingLayer, 'mix');
  });

  it('mixing in the model\'s own forward names the code between the two layers', async () => {
    const r = await batchIndependence.run(await context({ model: () => new InlineMixingNet() }));
    expectVerdict(r, 'fail', /between 'fc1' \(Linear\) and 'fc2' \(Linear\) in InlineMixingNet\.forward/);
  });

  it('softmax over dim 0 fails, naming the layer', async () => {
    const r = await batchIndependence.run(await context({ model: () => new BatchSoftmaxNet() }));
    expectVerdict(r, 'fail', /'attn' \(Softmax\)/);
  });

  it('BatchNorm in train mode is not a false alarm (the check runs in eval mode)', async () => {
    const ctx = await context({ model: cnn });
    ctx.model.train();
    expectVerdict(await batchIndependence.run(ctx), 'pass');
    assert.ok([...ctx.model.modules()].every((m) => m.training));
  });
});

describe('step-effect', () => {
  it('(d) a step that never calls backward fails with "no backward"', async () => {
    const r = await stepEffect.run(await context({ model: mlp, step: stepWithoutBackward }));
    expectVerdict(r, 'fail', /no backward/, /loss\.backward\(\)/);
  });

  it('(e) a step without optimizer.step fails with "no optimizer step"', async () => {
    const r = await stepEffect.run(await context({ model: mlp, step: stepWithoutOptimizerStep }));
    expectVerdict(r, 'fail', /no optimizer step/, /optimizer\.step\(\)/);
  });

  it('(f) a step without zeroGrad fails: gradients accumulate', async () => {
    for (const optimizer of [undefined, sgd]) {
      const r = await stepEffect.run(await context({ model: mlp, step: stepWithoutZeroGrad, ...(optimizer ? { optimizer } : {}) }));
      expectVerdict(r, 'fail', /gradients accumulate/, /zeroGrad/);
      assert.ok((r.evidence.growth as number) > 2.5, show(r));
    }
  });

  it('a learning rate of 0 is named', async () => {
    const r = await stepEffect.run(await context({ model: mlp, optimizer: (m) => new optim.SGD(m.parameters(), { lr: 0 }) }));
    expectVerdict(r, 'fail', /learning rate is 0/);
  });
});
