// The per-epoch confusion matrix (src/track/confusion.ts): a real Trainer on four Gaussian blobs with
// the ConfusionCallback (or the media callback, which includes it) records one 'confusion' event per
// validation epoch in the store and one line in media/confusion.jsonl; the last equals the matrix of
// the final model counted by hand; the trainer's metrics factory is restored after fit; a factory that
// already makes a matrix is read, not doubled; a matrix that cannot be counted turns itself off
// without stopping the training; and `sous export` draws the matrices as TensorBoard images.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { torch, nn, optim, data, type Tensor } from '../../src/index.js';
import { Trainer, Accuracy, ConfusionMatrix, type TrainerOptions } from '../../src/train/index.js';
import { ConfusionCallback, confusionPng, init, MediaCallback, parseConfusion, RunStore, type ConfusionRecord } from '../../src/track/index.js';
import { exportRunToTensorBoard } from '../../src/track/export.js';
import { readEventFile } from '../../src/track/tensorboard.js';

const CLASSES = ['ne', 'nw', 'se', 'sw'];

function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const y = torch.randint(0, 4, [n]);
    const centers = torch.tensor([[2, 2], [-2, 2], [2, -2], [-2, -2]]);
    const x = centers.index_select(0, y).add(torch.randn([n, 2]).mul(1.2));
    return { x: x.reshape([n, 1, 1, 2]).keep(), y: y.keep() };
  });
}

async function withTrainer(over: Partial<TrainerOptions>, fn: (t: Trainer, loaders: { train: data.TensorDataLoader; val: data.TensorDataLoader }, va: { x: Tensor; y: Tensor }) => Promise<void>): Promise<void> {
  const tr = blobs(192, 1);
  const va = blobs(96, 2);
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 4));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const train = data.DataLoader.fromTensors(tr.x, tr.y, { batchSize: 32, shuffle: true, seed: 3 });
  const val = data.DataLoader.fromTensors(va.x, va.y, { batchSize: 40 });
  const trainer = new Trainer({ model, optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 3, wheels: false, ...over });
  try {
    await fn(trainer, { train, val }, va);
  } finally {
    for (const t of [tr.x, tr.y, va.x, va.y]) t.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** The confusion matrix of the model's current predictions, counted in JS. */
function byHand(model: nn.Module, x: Tensor, y: Tensor): number[][] {
  model.eval();
  const pred = torch.noGrad(() => torch.tidy(() => Array.from((model.call(x) as Tensor).argmax(1).toArray() as BigInt64Array, Number)));
  model.train();
  const truth = Array.from(y.toArray() as BigInt64Array, Number);
  const m = CLASSES.map(() => CLASSES.map(() => 0));
  truth.forEach((t, i) => { m[t]![pred[i]!]!++; });
  return m;
}

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sous-confusion-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('confusion: one event and one jsonl line per validation epoch; the last is the final model\'s matrix; the factory is restored', async () => {
  const t = tmp();
  const store = RunStore.open(join(t.dir, 'runs.db'));
  try {
    const run = init({ store, name: 'blobs' });
    const cb = new ConfusionCallback({ classes: CLASSES, tracked: run, dir: t.dir });
    const factory = () => [new Accuracy()];
    await withTrainer({ callbacks: [cb], metrics: factory }, async (trainer, { train, val }, va) => {
      const result = await trainer.fit(train, val);
      assert.equal(result.status, 'completed');
      assert.equal(trainer.opts.metrics, factory, 'the metrics factory is given back after fit');
      // no scalar came from the matrix (the trainer leaves matrices out of the epoch's metrics)
      assert.deepEqual(Object.keys(result.history.at(-1)!.metrics).filter((k) => k.includes('confusion')), []);
      run.finish();
      const events = store.events(run.id).filter((e) => e.type === 'confusion');
      assert.equal(events.length, 3);
      const records = events.map((e) => e.data as ConfusionRecord);
      assert.deepEqual(records.map((r) => r.epoch), [0, 1, 2]);
      assert.deepEqual(records.map((r) => r.step), [6, 12, 18]);
      assert.deepEqual(events.map((e) => [e.step, e.message]), [[6, 'val'], [12, 'val'], [18, 'val']]);
      for (const r of records) {
        assert.deepEqual(r.classes, CLASSES);
        assert.equal(r.split, 'val');
        assert.equal(r.matrix.flat().reduce((a, b) => a + b, 0), 96);
        assert.deepEqual(r.matrix.map((row) => row.reduce((a, b) => a + b, 0)), CLASSES.map((_, c) => Array.from(va.y.toArray() as BigInt64Array, Number).filter((y) => y === c).length));
      }
      assert.deepEqual(records[2]!.matrix, byHand(trainer.model, va.x, va.y));
      const lines = readFileSync(join(t.dir, 'media', 'confusion.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ConfusionRecord);
      assert.deepEqual(lines, records);
    });
  } finally {
    store.close();
    t.done();
  }
});

test('confusion: the media callback records it for classification, once even beside a ConfusionCallback; a factory\'s own matrix is read', async () => {
  const t = tmp();
  const store = RunStore.open(join(t.dir, 'runs.db'));
  try {
    const run = init({ store, name: 'media' });
    const fixed = blobs(8, 5);
    const media = new MediaCallback({ dir: t.dir, inputs: fixed.x, targets: fixed.y, classes: CLASSES, tracked: run });
    const extra = new ConfusionCallback({ classes: CLASSES, tracked: run });
    const factory = () => [new Accuracy(), new ConfusionMatrix(4)];
    await withTrainer({ callbacks: [media, extra], metrics: factory, maxEpochs: 2 }, async (trainer, { train, val }, va) => {
      await trainer.fit(train, val);
      assert.equal(trainer.opts.metrics, factory, 'a factory with its own matrix is left alone');
      run.finish();
      const records = store.events(run.id).filter((e) => e.type === 'confusion').map((e) => e.data as ConfusionRecord);
      assert.deepEqual(records.map((r) => r.epoch), [0, 1]);
      assert.deepEqual(records[1]!.matrix, byHand(trainer.model, va.x, va.y));
    });
    fixed.x.dispose();
    fixed.y.dispose();
  } finally {
    store.close();
    t.done();
  }
});

test('confusion: a matrix that cannot be counted (3 class names, 4 classes) is skipped, then off, and the training goes on; every=2', async () => {
  const t = tmp();
  const store = RunStore.open(join(t.dir, 'runs.db'));
  try {
    const run = init({ store, name: 'bad' });
    const wrong = new ConfusionCallback({ classes: CLASSES.slice(0, 3), tracked: run });
    await withTrainer({ callbacks: [wrong], maxEpochs: 2 }, async (trainer, { train, val }) => {
      const result = await trainer.fit(train, val);
      assert.equal(result.status, 'completed');
      assert.equal(trainer.opts.metrics, undefined);
      // off after the first failure: the second validation counted no matrix
      assert.equal(trainer.lastEvaluation!.metrics.some((m) => m instanceof ConfusionMatrix), false);
    });
    const sparse = new ConfusionCallback({ classes: CLASSES, tracked: run, every: 2 });
    await withTrainer({ callbacks: [sparse], maxEpochs: 3 }, async (trainer, { train, val }) => {
      await trainer.fit(train, val);
    });
    run.finish();
    assert.deepEqual(store.events(run.id).filter((e) => e.type === 'confusion').map((e) => (e.data as ConfusionRecord).epoch), [0, 2]);
  } finally {
    store.close();
    t.done();
  }
});

test('confusion: parseConfusion checks the shape; confusionPng is a heatmap; sous export writes confusion_matrix/val images', () => {
  const good = { epoch: 1, step: 10, split: 'val', classes: ['a', 'b'], matrix: [[5, 1], [0, 7]] };
  assert.deepEqual(parseConfusion(good), good);
  assert.deepEqual(parseConfusion({ ...good, classes: undefined })!.classes, ['0', '1']);
  assert.equal(parseConfusion({ ...good, step: undefined }, 12)!.step, 12);
  for (const bad of [null, [], { ...good, matrix: [[1, 2]] }, { ...good, matrix: [[1, -1], [0, 0]] }, { ...good, matrix: [[1, 'x'], [0, 0]] }, { ...good, epoch: 'one' }, { ...good, matrix: [] }]) {
    assert.equal(parseConfusion(bad), undefined, JSON.stringify(bad));
  }
  const png = PNG.sync.read(Buffer.from(confusionPng(good as ConfusionRecord)));
  assert.ok(png.width > 2 * 12 && png.height > 2 * 12);
  // the diagonal cell of the second row (7 of 7) is dark blue; the empty cell beside it is white
  const pixel = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
  const cell = Math.max(12, 1 * 6 + 4);
  const left = png.width - 2 - 2 * cell;
  const top = 12;
  assert.deepEqual(pixel(left + cell + 1, top + cell + 1), [37, 99, 235]);
  assert.deepEqual(pixel(left + 1, top + cell + 1), [255, 255, 255]);

  const t = tmp();
  try {
    const dir = join(t.dir, 'run');
    mkdirSync(join(dir, 'media'), { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ id: 'r', name: 'r', status: 'completed', command: 'sous train', started: '2026-01-01T00:00:00.000Z', ended: '2026-01-01T00:01:00.000Z', pid: 1, seed: 0 }));
    writeFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ kind: 'epoch', step: 10, epoch: 0, 'val/accuracy': 0.5 })}\n`);
    writeFileSync(join(dir, 'media', 'confusion.jsonl'), `${JSON.stringify({ ...good, epoch: 0, step: 5 })}\n${JSON.stringify(good)}\n{"epoch":`);
    const res = exportRunToTensorBoard(dir);
    const images = readEventFile(res.file).flatMap((e) => e.values.filter((v) => v.image !== undefined).map((v) => [v.tag, e.step, v.image!.width, v.image!.height]));
    assert.deepEqual(images, [['confusion_matrix/val', 5, png.width, png.height], ['confusion_matrix/val', 10, png.width, png.height]]);
    assert.ok(existsSync(res.file));
  } finally {
    t.done();
  }
});
