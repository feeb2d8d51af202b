// The bug zoo: broken setups built on Sous, each a known bug from the seeds and the recipe, run
// through the doctor's checks; each must be flagged by the right check with a message naming the
// bug. Healthy setups (MLP, CNN with batch norm and dropout, ResNet, a regression model) must get
// no failure from any check. The detection table is printed (it goes into the closing notes).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, models, type Tensor } from '../../src/index.js';
import { ALL_CHECKS, runChecks, contextFromTensors, type Check, type DoctorContext, type StepFn, type Verdict } from '../../src/checks/index.js';
import { DiscardedBranch, MixingNet, regressionData, regressor, stepWithoutBackward, stepWithoutOptimizerStep, stepWithoutZeroGrad } from './model-basic/fixtures.js';

const C = 4;
const owned: Tensor[] = [];
after(() => { for (const t of owned) t.dispose(); });

/** 8×8 one-channel images, 4 classes, each a class pattern plus noise; raw 0-255 and normalised. */
function split(n: number, seed: number): { inputs: Tensor; targets: Tensor; raw: Tensor } {
  return torch.tidy(() => {
    torch.manualSeed(99);
    const patterns = torch.rand([C, 1, 8, 8]);
    torch.manualSeed(seed);
    const targets = torch.randint(0, C, [n]);
    const raw = patterns.index_select(0, targets).mul(160).add(torch.rand([n, 1, 8, 8]).mul(95)).floor();
    const inputs = raw.sub(127).div(60);
    const out = { inputs: inputs.keep(), targets: targets.keep(), raw: raw.keep() };
    owned.push(out.inputs, out.targets, out.raw);
    return out;
  });
}
const TRAIN = split(512, 1);
const VAL = split(128, 2);
const TEST = split(128, 3);

const mlp = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 32), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(32, C));
const cnn = () => new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Dropout(0.1), new nn.Flatten(), new nn.Linear(8 * 4 * 4, C),
);
const resnet = () => new models.ResNet({ inChannels: 1, numClasses: C, widths: [8, 16], blocks: 1 }) as unknown as nn.Module;
const adam = (lr = 1e-3) => (m: nn.Module) => new optim.Adam(m.parameters(), { lr });

interface Setup {
  name: string;
  model: () => nn.Module;
  optimizer?: (m: nn.Module) => optim.Optimizer;
  loss?: (o: Tensor, t: Tensor) => Tensor;
  step?: StepFn;
  train?: { inputs: Tensor; targets: Tensor; raw?: Tensor };
  test?: { inputs: Tensor; targets: Tensor; raw?: Tensor };
  task?: 'classification' | 'regression';
}

async function contextOf(s: Setup): Promise<DoctorContext> {
  if (s.task === 'regression') {
    const tr = regressionData(256, 2);
    const va = regressionData(128, 5);
    owned.push(tr.inputs, tr.targets, va.inputs, va.targets);
    return contextFromTensors({ makeModel: s.model, makeOptimizer: s.optimizer ?? adam(1e-2), loss: s.loss ?? new nn.MSELoss(), train: tr, val: va, task: 'regression' });
  }
  const train = s.train ?? TRAIN;
  const test = s.test ?? TEST;
  return contextFromTensors({
    makeModel: s.model,
    makeOptimizer: s.optimizer ?? adam(),
    loss: s.loss ?? ((o, t) => nn.crossEntropy(o, t)),
    ...(s.step ? { step: s.step } : {}),
    train: { inputs: train.inputs, targets: train.targets },
    val: { inputs: VAL.inputs, targets: VAL.targets },
    test: { inputs: test.inputs, targets: test.targets },
    raw: { train: train.raw ?? train.inputs, test: test.raw ?? test.inputs },
    classes: ['a', 'b', 'c', 'd'],
  });
}

const byCost = (costs: Check['cost'][]) => ALL_CHECKS.filter((c) => costs.includes(c.cost)).map((c) => c.id);
const MODEL_ONLY = ALL_CHECKS.filter((c) => c.group === 'model').map((c) => c.id);

/** Bugs on the shared data, made once. */
function shuffledLabels(): Setup['train'] {
  return torch.tidy(() => {
    torch.manualSeed(7);
    const t = { inputs: TRAIN.inputs, targets: TRAIN.targets.index_select(0, torch.randperm(512)).keep(), raw: TRAIN.raw };
    owned.push(t.targets);
    return t;
  });
}
function leakyTrain(): Setup['train'] {
  return torch.tidy(() => {
    const k = 24;
    const t = {
      inputs: torch.cat([TRAIN.inputs, TEST.inputs.narrow(0, 0, k)]).keep(),
      targets: torch.cat([TRAIN.targets, TEST.targets.narrow(0, 0, k)]).keep(),
      raw: torch.cat([TRAIN.raw, TEST.raw.narrow(0, 0, k)]).keep(),
    };
    owned.push(t.inputs, t.targets, t.raw);
    return t;
  });
}
function frozen(): nn.Module {
  const m = mlp();
  (m as nn.Sequential).at(1).requiresGrad_(false);
  return m;
}

interface Bug { bug: string; setup: Setup; check: string; verdict: Verdict; message: RegExp; checks?: string[] }

const BUGS: Bug[] = [
  { bug: 'layer output discarded', setup: { name: 'discarded', model: () => new DiscardedBranch() }, check: 'dead-parameters', verdict: 'fail', message: /aux.*never reaches the loss/ },
  { bug: 'softmax before cross-entropy', setup: { name: 'softmax', model: () => new nn.Sequential(mlp(), new nn.Softmax(1)) }, check: 'output-activation', verdict: 'fail', message: /softmax before cross-entropy/ },
  { bug: 'sigmoid on a regression output', setup: { name: 'sigmoid-reg', task: 'regression', model: () => new nn.Sequential(regressor(), new nn.Sigmoid()) }, check: 'output-activation', verdict: 'fail', message: /sigmoid on a regression output/, checks: MODEL_ONLY.filter((id) => id !== 'lr-range-test' && id !== 'input-independent-baseline') },
  { bug: 'missing backward', setup: { name: 'no-backward', model: mlp, step: stepWithoutBackward }, check: 'step-effect', verdict: 'fail', message: /no backward/ },
  { bug: 'missing optimizer step', setup: { name: 'no-step', model: mlp, step: stepWithoutOptimizerStep }, check: 'step-effect', verdict: 'fail', message: /no optimizer step/ },
  { bug: 'missing zero-grad', setup: { name: 'no-zero-grad', model: mlp, step: stepWithoutZeroGrad }, check: 'step-effect', verdict: 'fail', message: /zeroGrad missing/ },
  { bug: 'reshape that mixes the batch', setup: { name: 'mixing', model: () => new MixingNet() }, check: 'batch-independence', verdict: 'fail', message: /mix.*'mix'/ },
  { bug: 'labels shuffled apart from inputs', setup: { name: 'shuffled', model: mlp, train: shuffledLabels() }, check: 'input-independent-baseline', verdict: 'fail', message: /does not use its inputs/ },
  { bug: 'unnormalised 0-255 input', setup: { name: '0-255', model: mlp, train: { inputs: TRAIN.raw, targets: TRAIN.targets, raw: TRAIN.raw }, test: { inputs: TEST.raw, targets: TEST.targets, raw: TEST.raw } }, check: 'input-stats', verdict: 'fail', message: /unnormalised/ },
  { bug: 'learning rate far too high', setup: { name: 'lr', model: mlp, optimizer: (m) => new optim.SGD(m.parameters(), { lr: 10 }) }, check: 'lr-range-test', verdict: 'fail', message: /lr=10/ },
  { bug: 'leakage between train and test', setup: { name: 'leak', model: mlp, train: leakyTrain() }, check: 'duplicates', verdict: 'fail', message: /test/ },
  { bug: 'a layer frozen by mistake', setup: { name: 'frozen', model: frozen }, check: 'dead-parameters', verdict: 'warn', message: /frozen/ },
  { bug: 'final bias far from the label prior', setup: { name: 'bias', model: () => { const m = mlp(); torch.noGrad(() => ((m as nn.Sequential).at(4) as nn.Linear).bias!.fill_(0).get(0).fill_(8)); return m; } }, check: 'loss-at-init', verdict: 'fail', message: /suggested/ },
  { bug: 'NaN from log of a negative', setup: { name: 'nan', model: () => new nn.Sequential(mlp(), new nn.Identity()), loss: (o, t) => nn.crossEntropy(o.sub(100).log(), t) }, check: 'nan-origin', verdict: 'fail', message: /log/ },
];

const table: string[] = [];

for (const b of BUGS) {
  test(`bug zoo: ${b.bug} → ${b.check} ${b.verdict}`, async () => {
    const ctx = await contextOf(b.setup);
    // the cheap and moderate checks, plus the one that should catch the bug
    const only = [...new Set([...(b.checks ?? byCost(['cheap', 'moderate'])), b.check])];
    const rep = await runChecks(ALL_CHECKS, ctx, { only });
    const r = rep.results.find((x) => x.id === b.check)!;
    table.push(`| ${b.bug} | ${b.check} | ${r.verdict} | ${r.summary.slice(0, 150).replace(/\|/g, '/')} |`);
    assert.equal(r.verdict, b.verdict, `${b.check}: ${r.summary}`);
    assert.match(`${r.summary} ${r.fix ?? ''}`, b.message);
    for (const x of rep.results) assert.notEqual(x.verdict, 'error', `${x.id} errored: ${x.summary}`);
    ctx.model.dispose();
  });
}

const HEALTHY: Setup[] = [
  { name: 'MLP with dropout (Adam)', model: mlp },
  { name: 'CNN with batch norm and dropout (Adam)', model: cnn },
  { name: 'CNN with batch norm (SGD momentum)', model: cnn, optimizer: (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }) },
  { name: 'ResNet (2 stages)', model: resnet },
  { name: 'CNN with label smoothing 0.1 (the loss cannot reach 0)', model: cnn, loss: (o, t) => nn.crossEntropy(o, t, { labelSmoothing: 0.1 }) },
  { name: 'regression MLP (MSE)', model: regressor, task: 'regression' },
];

for (const h of HEALTHY) {
  test(`healthy: ${h.name} gets no failure from any check`, async () => {
    const ctx = await contextOf(h);
    const rep = await runChecks(ALL_CHECKS, ctx, h.task === 'regression' ? { only: MODEL_ONLY } : {});
    const bad = rep.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error');
    table.push(`| healthy: ${h.name} | all ${rep.results.length} | ${rep.counts.fail} fail, ${rep.counts.warn} warn | ${rep.results.filter((r) => r.verdict === 'warn').map((r) => r.id).join(', ') || '-'} |`);
    assert.deepEqual(bad.map((r) => `${r.id}: ${r.summary}`), []);
    ctx.model.dispose();
  });
}

test('detection table', () => {
  console.log(['| setup | check | verdict | message |', '| --- | --- | --- | --- |', ...table].join('\n'));
  assert.equal(table.length, BUGS.length + HEALTHY.length);
});
