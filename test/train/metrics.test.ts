// Classification metrics against PyTorch/numpy computed in a Python process on the same logits and
// targets, plus the input checks and a state round trip in the middle of an epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { torch, nn, Tensor } from '../../src/index.js';
import {
  Accuracy, TopKAccuracy, PerClassAccuracy, ConfusionMatrix, MeanMetric, MetricError, userMetric, type Metric, type MetricState,
} from '../../src/train/metrics.js';
import { PYTHON } from '../helpers/oracle.js';

const C = 7;
const K = 3;

interface Batch { logits: Tensor; targets: Tensor }

/** Batches of random logits; class C-1 never appears as a target, so its recall is NaN. */
function makeBatches(seed: number, sizes: number[]): Batch[] {
  torch.manualSeed(seed);
  return sizes.map((b) => ({
    logits: torch.randn([b, C]).keep(),
    targets: torch.randint(0, C - 1, [b]).keep(),
  }));
}

const ORACLE = `
import json, sys, torch, numpy as np
import torch.nn.functional as F
req = json.load(sys.stdin)
C, K = req['C'], req['K']
logits = [torch.tensor(b['logits'], dtype=torch.float32) for b in req['batches']]
targets = [torch.tensor(b['targets'], dtype=torch.int64) for b in req['batches']]
x = torch.cat(logits); y = torch.cat(targets)
pred = x.argmax(1)
cm = np.zeros((C, C), dtype=np.int64)
np.add.at(cm, (y.numpy(), pred.numpy()), 1)
with np.errstate(invalid='ignore', divide='ignore'):
    recall = np.diag(cm) / cm.sum(1)
losses = [F.cross_entropy(l, t).item() for l, t in zip(logits, targets)]
sizes = [len(t) for t in targets]
out = {
  'accuracy': (pred == y).double().mean().item(),
  'topk': (x.topk(K, 1).indices == y[:, None]).any(1).double().mean().item(),
  'recall': [None if np.isnan(r) else float(r) for r in recall],
  'confusion': cm.tolist(),
  'loss': float(np.average(losses, weights=sizes)),
  'margin': float(np.average([(l.max(1).values - l.min(1).values).mean().item() for l in logits], weights=sizes)),
}
json.dump(out, sys.stdout)
`;

interface OracleOut { accuracy: number; topk: number; recall: (number | null)[]; confusion: number[][]; loss: number; margin: number }

function oracle(batches: Batch[]): OracleOut {
  const input = JSON.stringify({
    C, K,
    batches: batches.map((b) => ({ logits: b.logits.tolist(), targets: b.targets.tolist() })),
  });
  const r = spawnSync(PYTHON, ['-c', ORACLE], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `python oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleOut;
}

function makeMetrics() {
  return {
    acc: new Accuracy(),
    topk: new TopKAccuracy(K),
    perClass: new PerClassAccuracy(C),
    confusion: new ConfusionMatrix(C),
    loss: new MeanMetric({ name: 'loss' }),
    margin: userMetric('margin', (o) => o.amax(1).sub(o.amin(1)).mean().item()),
  };
}

function feed(m: ReturnType<typeof makeMetrics>, batches: Batch[]): void {
  for (const { logits, targets } of batches) {
    torch.tidy(() => {
      for (const metric of [m.acc, m.topk, m.perClass, m.confusion, m.margin]) metric.update(logits, targets);
      m.loss.update(nn.crossEntropy(logits, targets), targets);
    });
  }
}

function close(actual: number, expected: number, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
}

function checkAgainst(m: ReturnType<typeof makeMetrics>, o: OracleOut): void {
  assert.equal(m.acc.compute(), o.accuracy);
  assert.equal(m.topk.compute(), o.topk);
  assert.deepEqual(m.perClass.values().map((v) => (Number.isNaN(v) ? null : v)), o.recall);
  assert.deepEqual(m.confusion.matrix(), o.confusion);
  close(m.loss.compute(), o.loss);
  close(m.margin.compute(), o.margin);
}

test('metrics over several batches match PyTorch/numpy', () => {
  for (const [seed, sizes] of [[1, [32, 32, 17]], [2, [5, 64, 1, 40]]] as const) {
    const batches = makeBatches(seed, [...sizes]);
    const m = makeMetrics();
    const live = torch.memory().liveTensors;
    feed(m, batches);
    assert.equal(torch.memory().liveTensors, live, 'updates must not leave tensors behind');
    checkAgainst(m, oracle(batches));
    const perClass = m.perClass.compute();
    assert.deepEqual(Object.keys(perClass), ['0', '1', '2', '3', '4', '5', '6']);
    assert.ok(Number.isNaN(perClass['6']), 'a class with no samples is NaN');
    for (const b of batches) {
      b.logits.dispose();
      b.targets.dispose();
    }
  }
});

test('state/loadState in the middle of an epoch gives the same totals', () => {
  const batches = makeBatches(3, [20, 30, 25, 10]);
  const first = makeMetrics();
  feed(first, batches.slice(0, 2));
  // Through JSON, as a checkpoint would store it.
  const saved = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.state()])))) as Record<string, MetricState>;
  const resumed = makeMetrics();
  for (const [k, v] of Object.entries(resumed) as [string, Metric][]) v.loadState(saved[k]!);
  feed(resumed, batches.slice(2));
  checkAgainst(resumed, oracle(batches));
  resumed.acc.reset();
  assert.ok(Number.isNaN(resumed.acc.compute()));
  assert.throws(() => resumed.acc.loadState(saved.topk!), (e: unknown) => e instanceof MetricError && /kind 'TopKAccuracy' into a Accuracy/.test(e.message));
  assert.throws(() => new PerClassAccuracy(3).loadState(saved.perClass!), /list of 3 non-negative integers/);
  for (const b of batches) {
    b.logits.dispose();
    b.targets.dispose();
  }
});

test('class names and the confusion table', () => {
  const cm = new ConfusionMatrix(3);
  const pc = new PerClassAccuracy(3, ['cat', 'dog', 'bird']);
  torch.tidy(() => {
    const logits = torch.tensor([[5, 0, 0], [0, 5, 0], [5, 0, 0], [0, 0, 5], [0, 5, 0]], { dtype: 'float32' });
    const targets = torch.tensor([0, 1, 1, 2, 2]);
    cm.update(logits, targets);
    pc.update(logits, targets);
  });
  assert.deepEqual(cm.matrix(), [[1, 0, 0], [1, 1, 0], [0, 1, 1]]);
  assert.deepEqual(pc.compute(), { cat: 1, dog: 0.5, bird: 0.5 });
  assert.equal(pc.macro(), 2 / 3);
  assert.equal(cm.format(['cat', 'dog', 'bird']), [
    'true \\ pred  cat  dog  bird',
    '---------------------------',
    'cat            1    0     0',
    'dog            1    1     0',
    'bird           0    1     1',
  ].join('\n'));
});

test('MeanMetric weights by batch size and accepts numbers', () => {
  const m = new MeanMetric({ name: 'loss' });
  m.update(1, 10);
  m.update(4, 30);
  assert.equal(m.compute(), 3.25);
  torch.tidy(() => m.update(torch.tensor([2, 2, 2, 2], { dtype: 'float32' }))); // 4 elements, each once
  assert.equal(m.compute(), (10 + 120 + 8) / 44);
  assert.throws(() => m.update(NaN, 3), (e: unknown) => e instanceof MetricError && /loss: value is NaN.*learning rate/.test(e.message));
  assert.throws(() => m.update(1, -1), /weight must be a finite number >= 0/);
});

test('bad inputs fail with a MetricError naming the metric, the problem and the fix', () => {
  const acc = new Accuracy();
  torch.tidy(() => {
    const logits = torch.randn([4, 3]);
    const targets = torch.tensor([0, 1, 2, 1]);
    const err = (re: RegExp) => (e: unknown) => e instanceof MetricError && e.metric === 'accuracy' && re.test(e.message);
    assert.throws(() => acc.update(logits, targets.float()), err(/^accuracy: targets must be integer class indices, got float32\. Convert them with targets\.long\(\)/));
    assert.throws(() => acc.update(logits, torch.tensor([1, 2, 3, 1])), err(/targets hold class 3, outside \[0, 3\).*start at 1: subtract 1/));
    assert.throws(() => acc.update(logits, torch.tensor([0, -1, 2, 1])), err(/targets hold class -1/));
    assert.throws(() => acc.update(logits, torch.tensor([0, 1, 2])), err(/outputs have 4 samples but targets have 3/));
    assert.throws(() => acc.update(logits.argmax(1), targets), err(/shape \[batch, classes\], got \[4\].*pass the logits/));
    assert.throws(() => acc.update(logits, torch.eye(3).get(targets)), err(/one-hot.*targets\.argmax\(1\)/));
    assert.throws(() => acc.update(logits.clone().set([1, 2], NaN), targets), err(/outputs contain NaN.*learning rate/));
    assert.throws(() => acc.update(logits.long(), targets), err(/floating-point scores, got int64/));
    assert.throws(() => new ConfusionMatrix(5).update(logits, targets), /confusion_matrix: outputs have 3 classes but the metric was built for numClasses=5/);
    assert.throws(() => new TopKAccuracy(5).update(logits, targets), /top5_accuracy: k=5 but outputs have only 3 classes/);
    assert.throws(() => userMetric('bad', (o) => o.sum() as unknown as number).update(logits, targets), /bad: the metric function returned a Tensor.*\.item\(\)/);
    // An empty batch changes nothing.
    acc.update(torch.zeros([0, 3]), torch.zeros([0], { dtype: 'int64' }));
  });
  assert.ok(Number.isNaN(acc.compute()));
  assert.throws(() => new PerClassAccuracy(3, ['a', 'b']), /classNames has 2 names for 3 classes/);
  assert.throws(() => new TopKAccuracy(0), /k must be a positive integer/);
});
