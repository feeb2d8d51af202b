// The Trainer on small synthetic problems: learning, validation and test, best checkpoint, early
// stopping, schedules per step and per epoch, gradient accumulation and clipping, callbacks, the
// training wheels (rollback on NaN and spikes, divergence report) and bit-exact resume.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, nn, optim, data, type Tensor } from '../../src/index.js';
import { Trainer, Accuracy, TopKAccuracy, userMetric, type TrainerOptions, type Callback, type LossFn } from '../../src/train/index.js';

/** Four Gaussian blobs in 2-D as [N, 1, 1, 2] "images" (the loaders want 4-D inputs). */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const y = torch.randint(0, 4, [n]);
    const centers = torch.tensor([[2, 2], [-2, 2], [2, -2], [-2, -2]]);
    const x = centers.index_select(0, y).add(torch.randn([n, 2]).mul(0.7));
    return { x: x.reshape([n, 1, 1, 2]).keep(), y: y.keep() };
  });
}

function mlp(seed: number): nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(2, 16), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(16, 4));
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sous-trainer-'));
}

interface Setup { trainer: Trainer; train: data.TensorDataLoader; val: data.TensorDataLoader; model: nn.Sequential; dispose(): void }

function setup(over: Partial<TrainerOptions> = {}, opt: { seed?: number; lr?: number; n?: number; sched?: boolean } = {}): Setup {
  const tr = blobs(opt.n ?? 256, 1);
  const va = blobs(128, 2);
  const model = mlp(opt.seed ?? 0);
  const optimizer = new optim.SGD(model.parameters(), { lr: opt.lr ?? 0.1, momentum: 0.9 });
  const train = data.DataLoader.fromTensors(tr.x, tr.y, { batchSize: 16, shuffle: true, seed: 3 });
  const val = data.DataLoader.fromTensors(va.x, va.y, { batchSize: 64 });
  const scheduler = opt.sched ? new optim.StepLR(optimizer, { stepSize: 5, gamma: 0.5 }) : undefined;
  const trainer = new Trainer({ model, optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 3, ...(scheduler ? { scheduler } : {}), ...over });
  return {
    trainer, train, val, model,
    dispose() {
      for (const t of [tr.x, tr.y, va.x, va.y]) t.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Records every step's loss (the bit-exact comparisons). */
function lossLog(): { cb: Callback; losses: Map<number, number> } {
  const losses = new Map<number, number>();
  return { losses, cb: { onBatchEnd: (_t, b) => { losses.set(b.step, b.loss); } } };
}

describe('Trainer', () => {
  test('learns four blobs; validation each epoch; best checkpoint; test() on the best weights', async () => {
    const dir = tmp();
    const s = setup({ checkpointDir: dir, monitor: 'val/accuracy', maxEpochs: 4 });
    const r = await s.trainer.fit(s.train, s.val);
    assert.equal(r.status, 'completed');
    assert.equal(r.epochs, 4);
    assert.equal(r.steps, 4 * 16);
    assert.equal(r.history.length, 4);
    for (const h of r.history) for (const k of ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy', 'lr']) assert.ok(Number.isFinite(h.metrics[k]), `${k} in epoch ${h.epoch}`);
    const last = r.history.at(-1)!.metrics;
    assert.ok(last['val/accuracy']! > 0.9, `val accuracy ${last['val/accuracy']}`);
    assert.ok(r.history[0]!.metrics['train/loss']! > last['train/loss']!);
    assert.ok(existsSync(join(dir, 'best.safetensors')) && existsSync(join(dir, 'last.ckpt')));
    const bestEpoch = r.history.reduce((b, h) => (h.metrics['val/accuracy']! > b.metrics['val/accuracy']! ? h : b));
    assert.equal(r.best?.epoch, bestEpoch.epoch);
    assert.equal(r.best?.value, bestEpoch.metrics['val/accuracy']);
    // test() with the best weights gives the best epoch's validation numbers on the same data
    const t = await s.trainer.test(s.val);
    assert.equal(t['test/accuracy'], bestEpoch.metrics['val/accuracy']);
    assert.ok(Math.abs(t['test/loss']! - bestEpoch.metrics['val/loss']!) < 1e-6);
    s.dispose();
    rmSync(dir, { recursive: true });
  });

  test('early stopping: no improvement for `patience` epochs stops the fit', async () => {
    const s = setup({ maxEpochs: 10, earlyStopping: { patience: 2 }, monitor: 'val/loss' }, { lr: 0 });
    const r = await s.trainer.fit(s.train, s.val);
    assert.equal(r.status, 'early_stopped');
    // lr 0 and no dropout at eval: the first epoch is the best, two more epochs make the patience run out
    assert.equal(r.epochs, 3);
    assert.equal(r.best?.epoch, 0);
    assert.ok(r.events.some((e) => e.type === 'early_stop' && /did not improve/.test(e.message)));
    s.dispose();
  });

  test('schedules step per optimizer step or per epoch; ReduceLROnPlateau on the monitored metric', async () => {
    const a = setup({ maxEpochs: 1 }, { sched: true });
    await a.trainer.fit(a.train);
    // StepLR(stepSize 5, gamma 0.5) stepped 16 times: 0.1 * 0.5^3
    assert.ok(Math.abs(a.trainer.lr - 0.1 * 0.5 ** 3) < 1e-12, String(a.trainer.lr));
    a.dispose();
    const b = setup({ maxEpochs: 2, scheduleInterval: 'epoch' }, { sched: true });
    await b.trainer.fit(b.train);
    assert.equal(b.trainer.lr, 0.1);
    b.dispose();
    const c = setup({ maxEpochs: 3, scheduleInterval: 'epoch', monitor: 'val/loss' }, { lr: 0 });
    const plateau = new optim.ReduceLROnPlateau(c.trainer.optimizer, { patience: 0, factor: 0.5 });
    const t = new Trainer({ model: c.model, optimizer: c.trainer.optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 3, scheduler: plateau, scheduleInterval: 'epoch' });
    c.trainer.optimizer.paramGroups[0]!.lr = 0; // stays 0: the schedule reads the lr it reduces
    await t.fit(c.train, c.val);
    assert.ok(plateau.numBadEpochs >= 0);
    c.dispose();
    assert.throws(() => setup({ scheduler: plateau }), /ReduceLROnPlateau steps on the validation metric/);
  });

  test('gradient accumulation over 2 batches of 8 equals one batch of 16 (no dropout, mean loss)', async () => {
    const { x, y } = blobs(16, 5);
    const run = (batch: number, accumulate: number) => {
      torch.manualSeed(0);
      const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 4));
      const optimizer = new optim.SGD(model.parameters(), { lr: 0.5 });
      const loader = data.DataLoader.fromTensors(x, y, { batchSize: batch });
      return { model, optimizer, loader, trainer: new Trainer({ model, optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 1, accumulate, wheels: false }) };
    };
    const a = run(16, 1);
    const b = run(8, 2);
    const ra = await a.trainer.fit(a.loader);
    const rb = await b.trainer.fit(b.loader);
    assert.equal(ra.steps, 1);
    assert.equal(rb.steps, 1);
    const pa = a.model.parameters(), pb = b.model.parameters();
    pa.forEach((p, i) => assert.ok(torch.tidy(() => p.sub(pb[i]!).abs().max().item()) < 1e-6));
    for (const r of [a, b]) r.model.dispose();
    x.dispose();
    y.dispose();
  });

  test('gradient clipping by norm bounds each update; by value bounds each gradient', async () => {
    const s = setup({ maxEpochs: 1, gradClipNorm: 1e-3, wheels: false }, { lr: 1 });
    const before = s.model.parameters().map((p) => p.clone().keep());
    const seen: number[] = [];
    const probe: Callback = {
      onBatchStart: () => { seen.push(0); },
    };
    const t = new Trainer({ model: s.model, optimizer: new optim.SGD(s.model.parameters(), { lr: 1 }), loss: new nn.CrossEntropyLoss(), maxEpochs: 1, maxSteps: 1, gradClipNorm: 1e-3, callbacks: [probe], wheels: false });
    await t.fit(s.train);
    // one SGD step with lr 1 and a gradient of norm <= 1e-3 moves the parameters by <= 1e-3 in total
    const moved = Math.sqrt(torch.tidy(() => s.model.parameters().reduce((acc, p, i) => acc + p.sub(before[i]!).pow(2).sum().item(), 0)));
    assert.ok(moved <= 1e-3 + 1e-7 && moved > 0, `moved ${moved}`);
    assert.equal(seen.length, 1);
    for (const b of before) b.dispose();
    s.dispose();
  });

  test('callbacks run in order: fit start, epoch start, batches, validation, epoch end, fit end', async () => {
    const calls: string[] = [];
    const cb: Callback = {
      onFitStart: () => { calls.push('fitStart'); },
      onEpochStart: (_t, e) => { calls.push(`epochStart ${e}`); },
      onBatchStart: (_t, b) => { if (b.batch === 0) calls.push('batch 0'); },
      onBatchEnd: async (_t, b) => { await Promise.resolve(); if (b.batch === b.batches - 1) calls.push(`batchEnd last ${b.outputs.shape.join('x')}`); },
      onValidationEnd: (_t, m) => { calls.push(`val ${Object.keys(m).sort().join(',')}`); },
      onEpochEnd: (_t, e) => { calls.push(`epochEnd ${e.epoch}`); },
      onFitEnd: (_t, r) => { calls.push(`fitEnd ${(r as { status: string }).status}`); },
    };
    const s = setup({ maxEpochs: 1, callbacks: [cb] });
    await s.trainer.fit(s.train, s.val);
    assert.deepEqual(calls, ['fitStart', 'epochStart 0', 'batch 0', 'batchEnd last 16x4', 'val val/accuracy,val/loss', 'epochEnd 0', 'fitEnd completed']);
    s.dispose();
  });

  test('training wheels: a NaN loss rolls back weights, optimizer and data position, halves the lr, and training goes on', async () => {
    const ce = new nn.CrossEntropyLoss();
    let calls = 0;
    // the 37th training batch (step 37 of epoch 3) returns NaN, once
    const loss: LossFn = (o, t) => (++calls === 37 ? ce.call(o, t).mul(NaN) : ce.call(o, t));
    const events: string[] = [];
    const s = setup({ loss, maxEpochs: 3, wheels: { snapshotEvery: 10 }, callbacks: [{ onEvent: (_t, e) => { events.push(e.type); } }] });
    const r = await s.trainer.fit(s.train);
    assert.equal(r.status, 'completed');
    const rb = r.events.find((e) => e.type === 'rollback')!;
    assert.ok(rb !== undefined, 'a rollback event');
    assert.equal(rb.reason, 'nan');
    assert.equal(rb.step, 36);
    assert.equal(rb.toStep, 30);
    assert.equal(rb.lrScale, 0.5);
    assert.match(rb.message, /loss is NaN at step 36: rolled back to step 30 .* rollback 1 of 3/);
    assert.deepEqual(events, ['rollback']);
    assert.equal(r.steps, 48);
    assert.ok(Math.abs(s.trainer.lr - 0.05) < 1e-15);
    s.dispose();
  });

  test('training wheels: a loss spike over 3× its moving average rolls back; a loss that stays broken ends as diverged', async () => {
    const ce = new nn.CrossEntropyLoss();
    let calls = 0;
    // one spiking batch is tolerated (a hard batch); three in a row are an explosion
    const spike: LossFn = (o, t) => (++calls === 20 || (calls >= 30 && calls <= 32) ? ce.call(o, t).add(50) : ce.call(o, t));
    const a = setup({ loss: spike, maxEpochs: 2 });
    const ra = await a.trainer.fit(a.train);
    assert.equal(ra.status, 'completed');
    const ev = ra.events.find((e) => e.type === 'rollback');
    assert.equal(ev?.reason, 'spike');
    assert.match(ev!.message, /over 3× its moving average/);
    a.dispose();

    const broken: LossFn = (o, t) => (++calls > 40 ? ce.call(o, t).mul(Infinity) : ce.call(o, t));
    calls = 0;
    const b = setup({ loss: broken, maxEpochs: 5, wheels: { maxRollbacks: 2 } });
    const rb = await b.trainer.fit(b.train);
    assert.equal(rb.status, 'diverged');
    assert.deepEqual(rb.events.map((e) => e.type), ['rollback', 'rollback', 'diverged']);
    assert.match(rb.events.at(-1)!.message, /after 2 rollback\(s\).*Lower the learning rate/);
    // the weights are those of the last good snapshot, all finite
    for (const p of b.model.parameters()) assert.ok(torch.tidy(() => p.isfinite().all().item()));
    b.dispose();
  });

  test('resume from last.ckpt reproduces the uninterrupted run bit for bit (dropout, momentum, schedule, shuffling)', async () => {
    const full = lossLog();
    const a = setup({ maxEpochs: 3, callbacks: [full.cb] }, { sched: true });
    await a.trainer.fit(a.train, a.val);
    a.dispose();

    const dir = tmp();
    const first = lossLog();
    // stops mid-epoch 2 (step 21 of 48) and writes last.ckpt there
    const b = setup({ maxEpochs: 3, maxSteps: 21, checkpointDir: dir, callbacks: [first.cb] }, { sched: true });
    const rb = await b.trainer.fit(b.train, b.val);
    assert.equal(rb.status, 'max_steps');
    b.dispose();
    torch.manualSeed(999); // the checkpoint's RNG state must win over whatever the process did since
    const second = lossLog();
    const c = setup({ maxEpochs: 3, checkpointDir: dir, callbacks: [second.cb] }, { sched: true, seed: 7 });
    const rc = await c.trainer.fit(c.train, c.val, { resume: join(dir, 'last.ckpt') });
    assert.equal(rc.status, 'completed');
    assert.equal(rc.steps, 48);
    assert.equal(rc.events[0]!.type, 'resumed');
    assert.deepEqual([...second.losses.keys()][0], 22);
    for (const [step, loss] of [...first.losses, ...second.losses]) assert.equal(loss, full.losses.get(step), `step ${step}`);
    assert.equal(second.losses.size + first.losses.size, full.losses.size);
    // the epoch history (train metrics of the split epoch included) is the same too
    assert.equal(rc.history.length, 3);
    c.dispose();
    rmSync(dir, { recursive: true });
  });

  test('user metrics and top-k: computed on train and validation batches, in the history and monitorable', async () => {
    const s = setup({
      maxEpochs: 2, monitor: 'val/mean_max_prob', monitorMode: 'max',
      metrics: () => [new Accuracy(), new TopKAccuracy(2), userMetric('mean_max_prob', (o) => torch.tidy(() => o.softmax(1).amax(1).mean().item()))],
    });
    const r = await s.trainer.fit(s.train, s.val);
    for (const h of r.history) {
      for (const k of ['train/accuracy', 'train/top2_accuracy', 'train/mean_max_prob', 'val/top2_accuracy', 'val/mean_max_prob']) assert.ok(Number.isFinite(h.metrics[k]), k);
      assert.ok(h.metrics['val/top2_accuracy']! >= h.metrics['val/accuracy']!);
      assert.ok(h.metrics['val/mean_max_prob']! > 0.25 && h.metrics['val/mean_max_prob']! <= 1);
    }
    assert.equal(r.best?.metric, 'val/mean_max_prob');
    s.dispose();
  });

  test('bad options and loaders are errors that name the fix', () => {
    const s = setup();
    const base = { model: s.model, optimizer: s.trainer.optimizer, loss: new nn.CrossEntropyLoss(), maxEpochs: 1 };
    assert.throws(() => new Trainer({ ...base, epochs: 3 } as unknown as TrainerOptions), /unknown option 'epochs'; the options are .*maxEpochs/);
    assert.throws(() => new Trainer({ ...base, accumulate: 0 }), /accumulate must be an integer >= 1/);
    assert.throws(() => new Trainer({ ...base, precision: 'fp16' }), /fp16' needs a CUDA model; on CPU use 'bf16'/);
    assert.throws(() => new Trainer({ ...base, gradClipNorm: -1 }), /gradClipNorm must be a positive number/);
    assert.throws(() => new Trainer({ ...base, wheels: { spikeFactor: 0.5 } }), /spikeFactor must be a number > 1/);
    assert.rejects(() => s.trainer.fit([] as unknown as data.TensorDataLoader), /must be a data.DataLoader/);
    s.dispose();
  });

  test('monitoring a validation metric without a validation loader says how to fix it', async () => {
    const s = setup({ maxEpochs: 1, monitor: 'val/accuracy' });
    await assert.rejects(() => s.trainer.fit(s.train), /monitor 'val\/accuracy' is not among .*pass a validation loader/);
    s.dispose();
  });
});

