// Each data check on synthetic data: healthy data passes; each planted bug is flagged with the right
// verdict and a message that names it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { torch, type Tensor } from '../../../src/index.js';
import type { CheckResult, DoctorContext } from '../../../src/checks/types.js';
import {
  DATA_CHECKS, inputStatsData, labelDistribution, shuffledOrder, shuffledOrderCheck, duplicates, corruptImages, trainTestDrift,
  sampleGrid, batchAsModelSeesIt,
} from '../../../src/checks/data/index.js';
import { syntheticRaw, contextFromRaw, healthy, rng } from './helpers.js';

const owned: Tensor[] = [];
after(() => { for (const t of owned) t.dispose(); });

const CHW: [number, number, number] = [1, 12, 12];
const D = 144;

function expect(r: CheckResult, verdict: CheckResult['verdict'], pattern: RegExp): void {
  assert.equal(r.verdict, verdict, `${r.id}: expected ${verdict}, got ${r.verdict}: ${r.summary}`);
  assert.match(r.summary, pattern, `${r.id}: ${r.summary}`);
  if (verdict === 'warn' || verdict === 'fail') assert.ok(r.fix && r.fix.length > 10, `${r.id}: a fix`);
  assert.equal(r.group, 'data');
  assert.ok(r.seconds >= 0);
}

function base(n = 200, nTest = 80, classes = 4) {
  const tr = syntheticRaw(n, { seed: 1, classes });
  const te = syntheticRaw(nTest, { seed: 2, classes });
  return { train: tr.x, yTrain: tr.y, test: te.x, yTest: te.y, chw: CHW };
}

describe('DATA_CHECKS', () => {
  it('are cheap first, with unique ids, group data', () => {
    const ids = DATA_CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ['input-stats', 'label-distribution', 'shuffled-order', 'duplicates', 'corrupt-images', 'train-test-drift', 'sample-grid', 'batch-as-model-sees-it']) assert.ok(ids.includes(id), id);
    const rank = { cheap: 0, moderate: 1, expensive: 2 };
    const costs = DATA_CHECKS.map((c) => rank[c.cost]);
    assert.deepEqual(costs, [...costs].sort((a, b) => a - b));
    assert.ok(DATA_CHECKS.every((c) => c.group === 'data'));
  });

  it('healthy synthetic data passes every check', async () => {
    const { ctx } = await healthy(owned);
    for (const check of DATA_CHECKS) {
      const r = await check.run(ctx);
      assert.equal(r.verdict, 'pass', `${r.id}: ${r.summary}`);
      assert.ok(r.summary.length > 0 && !r.summary.includes('\n'));
      assert.equal(r.id, check.id);
    }
  });
});

describe('input-stats', () => {
  it('fails on raw 0-255 values reaching the model', async () => {
    const ctx = await contextFromRaw(owned, { ...base(), trainInputs: (r) => r.clone(), testInputs: (r) => r.clone() });
    const r = await inputStatsData.run(ctx);
    expect(r, 'fail', /unnormalised/);
    assert.ok(r.summary.includes('255') || /2\d\d/.test(r.summary));
  });

  it('fails on mixed scales: raw train 0-1, raw test 0-255', async () => {
    const ctx = await contextFromRaw(owned, { ...base(), rawTrain: (r) => r.div(255) });
    expect(await inputStatsData.run(ctx), 'fail', /mixed scales/);
  });

  it('fails on mixed scales as the model sees them (test not normalised)', async () => {
    const ctx = await contextFromRaw(owned, { ...base(), testInputs: (r) => r.div(255) });
    // test in 0-1 vs normalised train is fine in scale; 0-255 is not
    const ok = await inputStatsData.run(ctx);
    assert.notEqual(ok.verdict, 'fail', ok.summary);
    const ctx2 = await contextFromRaw(owned, { ...base(), testInputs: (r) => r.clone() });
    const r = await inputStatsData.run(ctx2);
    expect(r, 'fail', /mixed scales/);
    assert.match(r.summary, /unnormalised/);
  });

  it('warns when the inputs are far from mean 0 / std 1', async () => {
    const ctx = await contextFromRaw(owned, { ...base(), trainInputs: (r) => r.div(255).add(3), testInputs: (r) => r.div(255).add(3) });
    expect(await inputStatsData.run(ctx), 'warn', /not normalised: channel 0 mean 3\.\d+/);
  });

  it('fails on NaN in the inputs', async () => {
    const b = base();
    b.train[5] = Number.NaN;
    const ctx = await contextFromRaw(owned, b);
    expect(await inputStatsData.run(ctx), 'fail', /NaN\/Inf/);
  });
});

describe('label-distribution', () => {
  it('warns on class imbalance above 3:1', async () => {
    const y = Array.from({ length: 200 }, (_, i) => (i < 140 ? 0 : 1 + (i % 3)));
    const tr = syntheticRaw(200, { seed: 1, labels: y });
    const te = syntheticRaw(80, { seed: 2, classes: 4 });
    const r = await labelDistribution.run(await contextFromRaw(owned, { train: tr.x, yTrain: y, test: te.x, yTest: te.y, chw: CHW }));
    expect(r, 'warn', /class imbalance \d+(\.\d+)?:1/);
    assert.match(r.fix!, /class_weights=balanced|weighted sampler/);
    assert.ok((r.evidence.imbalanceRatio as number) > 3);
  });

  it('fails on a class present in test but absent from train', async () => {
    const y = Array.from({ length: 150 }, (_, i) => i % 3);
    const tr = syntheticRaw(150, { seed: 1, labels: y });
    const te = syntheticRaw(80, { seed: 2, classes: 4 });
    const r = await labelDistribution.run(await contextFromRaw(owned, { train: tr.x, yTrain: y, test: te.x, yTest: te.y, chw: CHW }));
    expect(r, 'fail', /missing class.*'class3'/);
  });

  it('warns on a declared class with no samples', async () => {
    const b = base(200, 80, 4);
    const r = await labelDistribution.run(await contextFromRaw(owned, { ...b, classes: ['a', 'b', 'c', 'd', 'e'] }));
    expect(r, 'warn', /empty class.*'e'/);
  });
});

describe('shuffled-order', () => {
  async function sortedContext(): Promise<{ ctx: DoctorContext; y: number[] }> {
    const y = Array.from({ length: 200 }, (_, i) => Math.floor(i / 50));
    const tr = syntheticRaw(200, { seed: 1, labels: y });
    const te = syntheticRaw(40, { seed: 2, classes: 4 });
    return { ctx: await contextFromRaw(owned, { train: tr.x, yTrain: y, test: te.x, yTest: te.y, chw: CHW }), y };
  }

  it('fails on sorted data fed unshuffled (every batch one class)', async () => {
    const { ctx } = await sortedContext();
    const unshuffled: DoctorContext = {
      ...ctx,
      trainBatch(size: number) {
        const idx = torch.arange(0, Math.min(size, 200), { dtype: 'int64' });
        const out = { inputs: ctx.splits.train.inputs.index_select(0, idx), targets: ctx.splits.train.targets.index_select(0, idx), indices: Array.from({ length: Math.min(size, 200) }, (_, i) => i) };
        idx.dispose();
        return out;
      },
    };
    const r = await shuffledOrderCheck({ size: 32 }).run(unshuffled);
    expect(r, 'fail', /unshuffled batches: all 4 batches hold a single class/);
    assert.match(r.summary, /sorted by class/);
    assert.deepEqual(r.evidence.classesPerBatch, [1, 1, 1, 1]);
    // batches of 64 straddle two classes: still the same batch whatever the seed
    expect(await shuffledOrder.run(unshuffled), 'fail', /unshuffled batches: the same batch for every seed, 2 of 4 classes/);
  });

  it('fails on the first batches of an epoch given by the loader', async () => {
    const { ctx, y } = await sortedContext();
    const check = shuffledOrderCheck({ batches: () => [y.slice(0, 32), y.slice(32, 64), y.slice(64, 96)] });
    const r = await check.run(ctx);
    assert.notEqual(r.verdict, 'pass', r.summary);
    assert.match(r.summary, /shuffled|single class/);
  });

  it('passes sorted storage when the batches are shuffled (and says so)', async () => {
    const { ctx } = await sortedContext();
    const r = await shuffledOrder.run(ctx);
    expect(r, 'pass', /batches are mixed.*storage order is sorted/);
  });
});

describe('duplicates', () => {
  it('fails on train/test leakage (test images copied into train), with counts and pairs', async () => {
    const b = base();
    for (let k = 0; k < 10; k++) {
      b.train.set(b.test.subarray(k * D, (k + 1) * D), (20 + k) * D);
      b.yTrain[20 + k] = b.yTest[k]!;
    }
    const r = await duplicates.run(await contextFromRaw(owned, b));
    expect(r, 'fail', /train\/test leakage: 10 test samples/);
    assert.equal(r.evidence.testInTrain, 10);
    assert.ok((r.evidence.testLeakPairs as string[]).includes('train#20=test#0'));
  });

  it('fails on conflicting labels of identical images', async () => {
    const b = base();
    b.train.set(b.train.subarray(0, D), 7 * D); // train#7 = train#0, labels 3 vs 0
    const r = await duplicates.run(await contextFromRaw(owned, b));
    expect(r, 'fail', /conflicting labels: 1 identical training images/);
    assert.deepEqual(r.evidence.conflictPairs, ['train#0=train#7']);
  });

  it('warns on near duplicates across train/test (re-lit, noisy copies)', async () => {
    const b = base();
    const r0 = rng(9);
    for (let k = 0; k < 8; k++) {
      for (let q = 0; q < D; q++) b.train[(40 + k) * D + q] = Math.min(255, b.test[k * D + q]! * 0.9 + 12 + 2 * r0());
      b.yTrain[40 + k] = b.yTest[k]!;
    }
    const r = await duplicates.run(await contextFromRaw(owned, b));
    expect(r, 'warn', /8 test samples \(10%\) are near duplicates/);
    assert.equal(r.evidence.testInTrain, 0);
  });

  it('scales linearly: 20k/5k random samples in well under a few seconds', async () => {
    const n = 20000;
    const x = new Float32Array(n * 64);
    const r0 = rng(3);
    for (let i = 0; i < x.length; i++) x[i] = Math.floor(r0() * 256);
    const y = Array.from({ length: n }, (_, i) => i % 10);
    const te = x.slice(0, 5000 * 64).map((v) => 255 - v);
    const ctx = await contextFromRaw(owned, { train: x, yTrain: y, test: te, yTest: y.slice(0, 5000), chw: [1, 8, 8] });
    const t0 = performance.now();
    const r = await duplicates.run(ctx);
    const s = (performance.now() - t0) / 1000;
    assert.equal(r.verdict, 'pass', r.summary);
    assert.ok(s < 5, `${s}s`);
  });
});

describe('corrupt-images', () => {
  it('warns on constant and all-zero images with counts and indices', async () => {
    const b = base();
    b.train.fill(0, 3 * D, 4 * D);
    b.train.fill(128, 11 * D, 12 * D);
    const r = await corruptImages.run(await contextFromRaw(owned, b));
    expect(r, 'warn', /train: 1 all-zero, 1 constant images/);
    assert.deepEqual(r.evidence.trainIndices, [3, 11]);
  });

  it('fails on NaN images', async () => {
    const b = base();
    b.test[2 * D + 5] = Number.NaN;
    const r = await corruptImages.run(await contextFromRaw(owned, b));
    expect(r, 'fail', /test: 1 with NaN\/Inf/);
    assert.deepEqual(r.evidence.testIndices, [2]);
  });
});

describe('train-test-drift', () => {
  it('warns when the test images are brighter', async () => {
    const b = base(300, 150);
    for (let i = 0; i < b.test.length; i++) b.test[i] = Math.min(255, b.test[i]! + 40);
    const r = await trainTestDrift.run(await contextFromRaw(owned, b));
    expect(r, 'warn', /train\/test drift: brightness \(KS [\d.]+, p [\d.e-]+/);
    const ev = r.evidence.brightness as Record<string, number>;
    assert.ok(ev.ks! > 0.1 && ev.p! < 0.01);
  });
});

describe('pictures', () => {
  it('sample-grid: one row per class, a PNG that decodes to the right size', async () => {
    const { ctx } = await healthy(owned);
    const r = await sampleGrid.run(ctx);
    assert.equal(r.verdict, 'pass');
    assert.equal(r.figures?.length, 1);
    const png = PNG.sync.read(Buffer.from(r.figures![0]!.png));
    // 8 per class, 4 classes, 12×12 images doubled, captions of 9 px, pad 2
    assert.equal(png.width, 2 + 8 * (24 + 2));
    assert.equal(png.height, 2 + 4 * (24 + 9 + 2));
    assert.equal(r.evidence.rows, 4);
  });

  it('batch-as-model-sees-it: shape, dtype, device, range in the evidence; a 32-image grid', async () => {
    const { ctx } = await healthy(owned);
    const r = await batchAsModelSeesIt.run(ctx);
    assert.equal(r.verdict, 'pass', r.summary);
    assert.deepEqual(r.evidence.shape, ['32', '1', '12', '12']);
    assert.equal(r.evidence.dtype, 'float32');
    assert.equal(r.evidence.device, 'cpu');
    assert.equal(typeof r.evidence.min, 'number');
    assert.match(r.summary, /batch \[32, 1, 12, 12\] float32 on cpu, range/);
    const png = PNG.sync.read(Buffer.from(r.figures![0]!.png));
    assert.equal(png.width, 2 + 8 * (24 + 2));
    assert.equal(png.height, 2 + 4 * (24 + 9 + 2));
  });

  it('batch-as-model-sees-it fails on an all-constant batch', async () => {
    const ctx = await contextFromRaw(owned, { ...base(), trainInputs: (r) => r.mul(0) });
    expect(await batchAsModelSeesIt.run(ctx), 'fail', /every image of the batch is constant/);
  });
});
