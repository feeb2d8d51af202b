// Experiments from configs, in process: an image-folder data set (train/ and test/ folders of PNGs)
// with a user's TypeScript model file, the schema's errors, bf16 autocast on CPU, and the flat
// memory of a long Trainer run.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { torch, nn, optim, data, Trainer, type Tensor } from '../../src/index.js';
import { trainRun, loadExperiment } from '../../src/experiment/index.js';
import { ConfigError } from '../../src/config/index.js';
import { repoRoot } from '../helpers/oracle.js';

let dir: string;

/** 8×8 grey PNGs: class 'bright' has a bright left half, class 'dark' a bright right half, with noise. */
function writeImages(root: string, perClass: number, seed: number): void {
  const rng = new data.Rng(seed);
  for (const cls of ['bright', 'dark']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: 8, height: 8, colorType: 0, inputColorType: 0 });
      const px = Buffer.alloc(64);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
        const lit = cls === 'bright' ? x < 4 : x >= 4;
        px[y * 8 + x] = Math.max(0, Math.min(255, Math.round((lit ? 200 : 40) + rng.normal() * 30)));
      }
      png.data = px;
      writeFileSync(join(root, cls, `${i}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
    }
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sous-exp-'));
  writeImages(join(dir, 'images/train'), 40, 1);
  writeImages(join(dir, 'images/test'), 10, 2);
  writeFileSync(join(dir, 'tiny.ts'), `import { nn } from 'sous';
interface Options { inputShape: [number, number, number]; numClasses: number; hidden: number }
export default function createModel(o: Options): nn.Module {
  const [c, h, w] = o.inputShape;
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(c * h * w, o.hidden), new nn.ReLU(), new nn.Linear(o.hidden, o.numClasses));
}
`);
  writeFileSync(join(dir, 'exp.yaml'), `name: folders
seed: 3
out_dir: ${join(dir, 'runs')}
data:
  name: image-folder
  root: ${join(dir, 'images')}
  image_size: 8
  channels: 1
  val_fraction: 0.25
  batch_size: 8
  num_workers: 1
model:
  name: file
  file: tiny.ts
  hidden: 16
optim:
  name: adam
  lr: 0.01
trainer:
  epochs: 3
  monitor: val/loss
`);
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

describe('experiments from configs', () => {
  test('an image folder (train/ and test/) with a user model file trains, validates and tests', async () => {
    const r = await trainRun(join(dir, 'exp.yaml'), ['trainer.epochs=4']);
    assert.equal(r.result.status, 'completed');
    assert.deepEqual(r.classes, ['bright', 'dark']);
    assert.ok(r.test!['test/accuracy']! >= 0.9, `test accuracy ${r.test!['test/accuracy']}`);
    const rec = JSON.parse(readFileSync(r.run.path('run.json'), 'utf8'));
    assert.deepEqual(rec.data.sizes, { train: 60, val: 20, test: 20 });
    assert.deepEqual(rec.data.inputShape, [1, 8, 8]);
    assert.equal(rec.data.stats.mean.length, 1);
    assert.equal(rec.model.parameters, 64 * 16 + 16 + 16 * 2 + 2);
    // the saved config holds the model file's absolute path, so the run folder is self-contained
    assert.match(readFileSync(r.run.path('config.yaml'), 'utf8'), new RegExp(`file: ${join(dir, 'tiny.ts').replace(/[/.]/g, '\\$&')}`));
    assert.match(readFileSync(r.run.path('overrides.yaml'), 'utf8'), /trainer.epochs=4/);
  });

  test('trainer.init_bias=prior sets the final layer bias to the log class prior before training', async () => {
    const fashion = join(repoRoot(), 'configs/fashion.yaml');
    const r = await trainRun(fashion, ['data.limit=500', 'data.test_limit=50', 'trainer.max_steps=1', 'trainer.init_bias=prior', 'model=mlp', `out_dir=${join(dir, 'runs')}`, 'trainer.epochs=1'], { noTest: true });
    const rec = JSON.parse(readFileSync(r.run.path('run.json'), 'utf8'));
    assert.equal(rec.model.initBias.layer, '7'); // the MLP's last Linear, (7) in its printout
    assert.equal(rec.model.initBias.bias.length, 10);
    // a stratified split of a balanced data set: every class near 10%, so every bias near log(0.1)
    for (const b of rec.model.initBias.bias) assert.ok(Math.abs(b - Math.log(0.1)) < 0.05, String(b));
  });

  test('image-folder augmentation keys train; Fashion-MNIST (in memory) refuses the warps with a clear error', async () => {
    const r = await trainRun(join(dir, 'exp.yaml'), ['trainer.epochs=2', 'data.augment.rotation=10', 'data.augment.translate=0.1', 'data.augment.crop_scale=0.8', 'data.augment.jitter=0.2', 'data.augment.erase=0.25', 'data.augment.hflip=0.5'], { noTest: true });
    assert.equal(r.result.status, 'completed');
    assert.ok(r.result.history.every((h) => Number.isFinite(h.metrics['train/loss'])));
    await assert.rejects(() => trainRun(join(repoRoot(), 'configs/fashion.yaml'), ['data.augment.rotation=10', `out_dir=${join(dir, 'runs')}`]), /data\.augment\.rotation: Fashion-MNIST is kept in memory .* work for image folders/);
  });

  test('schema errors name every bad key with its path and the allowed values', () => {
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml'), ['optim.name=adamm', 'trainer.precision=16', '+trainer.epochz=3']), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /optim\.name.*sgd, adam, adamw, rmsprop/);
      assert.match(e.message, /trainer\.precision.*'32'|trainer\.precision.*32, bf16, fp16/);
      assert.match(e.message, /epochz[\s\S]*did you mean epochs/);
      return true;
    });
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml'), ['data.val_fraction=1.5']), /data\.val_fraction/);
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml'), ['device=gpu']), /device.*'cpu', 'cuda' or 'cuda:N'/);
  });

  test("precision 'bf16' trains under CPU autocast: finite, falling loss; outputs are computed in bfloat16", async () => {
    torch.manualSeed(0);
    const x = torch.randn([256, 1, 1, 8]).keep();
    const y = x.sum({ dim: [1, 2, 3] }).gt(0).to('int64').keep();
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 2));
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
    const dtypes = new Set<string>();
    const loader = data.DataLoader.fromTensors(x, y, { batchSize: 32, shuffle: true });
    const t = new Trainer({ model, optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 5, precision: 'bf16', callbacks: [{ onBatchEnd: () => {} }] });
    model.registerForwardHook((_m, _i, out) => { dtypes.add((out as Tensor).dtype); });
    const r = await t.fit(loader);
    assert.equal(r.status, 'completed');
    assert.deepEqual([...dtypes], ['bfloat16']);
    const losses = r.history.map((h) => h.metrics['train/loss']!);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses.at(-1)! < losses[0]! * 0.7, losses.join(' '));
    for (const p of model.parameters()) assert.equal(p.dtype, 'float32');
    x.dispose();
    y.dispose();
  });

  test('a long Trainer run leaks no tensors (live tensor count flat across 2,000 steps with wheels, clipping, metrics)', async () => {
    torch.manualSeed(0);
    const x = torch.randn([512, 1, 1, 8]).keep();
    const y = x.sum({ dim: [1, 2, 3] }).gt(0).to('int64').keep();
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(8, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(16, 2));
    const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const loader = data.DataLoader.fromTensors(x, y, { batchSize: 16, shuffle: true });
    const val = data.DataLoader.fromTensors(x, y, { batchSize: 128 });
    const counts: number[] = [];
    const t = new Trainer({
      model, optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 63, gradClipNorm: 1, wheels: { snapshotEvery: 25 },
      scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: 2016 }),
      callbacks: [{ onEpochEnd: () => { counts.push(torch.memory().liveTensors); } }],
    });
    const r = await t.fit(loader, val);
    assert.equal(r.status, 'completed', JSON.stringify(r.events));
    assert.equal(t.step, 63 * 32);
    // after a few epochs to warm up (optimizer state, snapshots), the number of live tensors is constant
    assert.equal(new Set(counts.slice(3)).size, 1, counts.join(' '));
    x.dispose();
    y.dispose();
  });
});
