// The CUDA-graph training step (GraphedTrainStep) and torch.cuda.CUDAGraph. On the CPU: the eager
// form trains exactly as a hand-written loop, and every misuse is refused with the fix. On a CUDA
// machine (the GPU script): a captured step replays the same trajectory as eager training, follows an
// lr schedule, refuses a changed batch shape, and a capture that syncs with the host fails cleanly.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, optim, type Tensor } from '../../src/index.js';
import { GraphedTrainStep, GraphedStepError } from '../../src/train/index.js';

const ce = nn.crossEntropy;

function net(seed: number, device = 'cpu'): nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(4 * 4 * 4, 16), new nn.ReLU(), new nn.Linear(16, 3)).to(device);
}

function batches(n: number, seed: number, device = 'cpu'): [Tensor, Tensor][] {
  torch.manualSeed(seed);
  return Array.from({ length: n }, () => [torch.randn([8, 1, 8, 8]).to(device).keep(), torch.randint(0, 3, [8]).to(device).keep()]);
}

function flat(m: nn.Module): Tensor {
  return torch.noGrad(() => torch.cat(m.parameters().map((p) => p.detach().reshape(-1))));
}

/** The reference: the loop a user writes by hand (zeroGrad, forward, backward, clip, step). */
function handLoop(m: nn.Sequential, opt: optim.Optimizer, data: [Tensor, Tensor][], clip: number | null, lrAt?: (i: number) => number): { losses: number[]; traj: Tensor } {
  const losses: number[] = [];
  const rows: Tensor[] = [];
  data.forEach(([x, y], i) => {
    if (lrAt) opt.paramGroups[0]!.lr = lrAt(i);
    opt.zeroGrad();
    const loss = torch.tidy(() => {
      const l = ce(m.call(x), y);
      l.backward();
      return Number(l.item());
    });
    if (clip !== null) optim.clipGradNorm_(m.parameters(), clip);
    opt.step();
    losses.push(loss);
    rows.push(flat(m));
  });
  return { losses, traj: torch.stack(rows) };
}

function stepLoop(step: GraphedTrainStep, m: nn.Sequential, data: [Tensor, Tensor][], lrAt?: (i: number) => number): { losses: number[]; traj: Tensor } {
  const losses: number[] = [];
  const rows: Tensor[] = [];
  data.forEach(([x, y], i) => {
    if (lrAt) step.optimizer.paramGroups[0]!.lr = lrAt(i);
    losses.push(Number(step.run(x, y).item()));
    rows.push(flat(m));
  });
  return { losses, traj: torch.stack(rows) };
}

describe('GraphedTrainStep on the CPU (eager form)', () => {
  it('trains exactly as the hand-written loop: same losses and weights, bit for bit (SGD momentum, clipping)', () => {
    const data = batches(12, 1);
    const a = net(7);
    const ref = handLoop(a, new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), data, 0.5);
    const b = net(7);
    const step = new GraphedTrainStep({ optimizer: new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 }), loss: (x, y) => ce(b.call(x), y), clipGradNorm: 0.5 });
    assert.equal(step.useGraph, false, 'parameters on the CPU: no graph by default');
    const got = stepLoop(step, b, data);
    assert.deepEqual(got.losses, ref.losses);
    assert.equal(Number(got.traj.sub(ref.traj).abs().max().item()), 0);
    assert.equal(step.steps, 12);
    assert.equal(step.isCaptured, false);
    step.dispose();
    assert.throws(() => step.run(data[0]![0], data[0]![1]), /disposed/);
  });

  it('with a capturable Adam and a changing lr, matches the hand loop with a plain Adam', () => {
    // float64: in float32 Adam's update of a parameter whose gradient is near zero depends on the
    // rounding of sqrt(v) + eps, and the capturable form (PyTorch's) rounds differently.
    const data = batches(10, 2).map(([x, y]) => [x.double().keep(), y] as [Tensor, Tensor]);
    const lrAt = (i: number): number => 0.01 * 0.5 ** Math.floor(i / 3);
    const a = net(3).double();
    const ref = handLoop(a, new optim.Adam(a.parameters(), { lr: 0.01 }), data, null, lrAt);
    const b = net(3).double();
    const step = new GraphedTrainStep({ optimizer: new optim.Adam(b.parameters(), { lr: 0.01, capturable: true }), loss: (x, y) => ce(b.call(x), y) });
    const got = stepLoop(step, b, data, lrAt);
    const diff = Number(got.traj.sub(ref.traj).abs().max().item());
    assert.ok(diff < 1e-8, `weights differ by ${diff}`);
    got.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) < 1e-10, `loss ${i}: ${l} vs ${ref.losses[i]}`));
    step.dispose();
  });

  it('the returned loss is owned by the step and overwritten by the next run', () => {
    const m = net(1);
    const data = batches(2, 3);
    const step = new GraphedTrainStep({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: (x, y) => ce(m.call(x), y) });
    const first = step.run(data[0]![0], data[0]![1]);
    const kept = first.clone();
    step.run(data[1]![0], data[1]![1]);
    assert.ok(first.isDisposed, 'the previous loss was freed');
    assert.equal(kept.shape.length, 0);
    step.dispose();
  });

  it('refuses misuse with the fix: graph on CPU parameters, bad options, a loss that is not a scalar or has no grad', () => {
    const m = net(1);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1, capturable: true });
    const loss = (x: Tensor, y: Tensor): Tensor => ce(m.call(x), y);
    assert.throws(() => new GraphedTrainStep({ optimizer: opt, loss, graph: true }),
      (e: Error) => e instanceof GraphedStepError && /needs the parameters on CUDA, but they are on cpu/.test(e.message) && /graph: false/.test(e.message));
    assert.throws(() => new GraphedTrainStep({ optimizer: opt, loss, warmup: -1 }), /warmup must be an integer >= 0/);
    assert.throws(() => new GraphedTrainStep({ optimizer: opt, loss, clipGradNorm: 0 }), /clipGradNorm must be a number > 0/);
    assert.throws(() => new GraphedTrainStep({ optimizer: opt, loss: 3 as never }), /options.loss must be a function/);
    const [[x, y]] = batches(1, 4) as [[Tensor, Tensor]];
    const vector = new GraphedTrainStep({ optimizer: opt, loss: (xb, yb) => ce(m.call(xb), yb, { reduction: 'none' }) });
    assert.throws(() => vector.run(x, y), /must return a floating-point tensor with one element, got \[8\] float32/);
    const frozen = new GraphedTrainStep({ optimizer: opt, loss: (xb, yb) => torch.noGrad(() => ce(m.call(xb), yb)) });
    assert.throws(() => frozen.run(x, y), /does not require grad/);
    const step = new GraphedTrainStep({ optimizer: opt, loss });
    assert.throws(() => step.run(), /pass the batch as tensors/);
    assert.ok(Number.isFinite(Number(step.run(x, y).item())), 'the step still trains after the refused calls');
  });
});

const cuda = torch.cuda.graphsSupported();
const noCuda = !cuda && 'no CUDA device, or an addon built without the CUDA toolkit headers (runs on the GPU machine: scripts/gpu-check.sh)';

describe('CUDA graphs', { skip: noCuda }, () => {
  it('torch.cuda.graph records a region; replay recomputes it from the new contents of the static input', () => {
    const x = torch.zeros([1000], { device: 'cuda' }).keep();
    // Warm-up on a side stream, as the recipe asks.
    torch.cuda.sideStream(() => torch.tidy(() => x.mul(2).add(1)));
    const g = new torch.cuda.CUDAGraph();
    const y = torch.cuda.graph(g, () => torch.tidy(() => x.mul(2).add(1))).keep();
    for (const v of [3, -1.5]) {
      x.fill_(v);
      g.replay();
      assert.equal(Number(y.sub(2 * v + 1).abs().max().item()), 0);
    }
    assert.throws(() => torch.cuda.graph(g, () => 0), /already captured/);
    g.dispose();
    assert.throws(() => g.replay(), /disposed/);
  });

  it('a capture that reads a value back to the host fails with the cause, and CUDA keeps working', () => {
    const x = torch.ones([4], { device: 'cuda' }).keep();
    const g = new torch.cuda.CUDAGraph();
    assert.throws(() => torch.cuda.graph(g, () => x.sum().item()), /CUDA graph records device work only/);
    g.dispose();
    assert.equal(Number(x.sum().item()), 4);
  });

  for (const kind of ['SGD momentum', 'Adam'] as const) {
    it(`${kind}: the replayed step follows the eager trajectory and an lr schedule`, () => {
      const data = batches(15, 5, 'cuda');
      const lrAt = (i: number): number => 0.05 * 0.5 ** Math.floor(i / 4);
      const make = (m: nn.Sequential, capturable: boolean): optim.Optimizer => (kind === 'Adam'
        ? new optim.Adam(m.parameters(), { lr: 0.05, capturable })
        : new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, capturable }));
      // The reference runs the same capturable optimizer eagerly: the graph must change nothing but
      // how the kernels are launched.
      const a = net(11, 'cuda');
      const ref = handLoop(a, make(a, true), data, 1.0, lrAt);
      const b = net(11, 'cuda');
      const step = new GraphedTrainStep({ optimizer: make(b, true), loss: (x, y) => ce(b.call(x), y), clipGradNorm: 1.0, warmup: 3 });
      assert.equal(step.useGraph, true);
      const got = stepLoop(step, b, data, lrAt);
      assert.equal(step.isCaptured, true);
      const diff = Number(got.traj.sub(ref.traj).abs().max().item());
      assert.ok(diff < 1e-4, `weights after 15 steps differ by ${diff}`);
      got.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) < 1e-4 * Math.max(1, Math.abs(ref.losses[i]!)), `loss ${i}: graph ${l}, eager ${ref.losses[i]}`));
      // A batch of another shape cannot be replayed.
      assert.throws(() => step.run(torch.randn([5, 1, 8, 8], { device: 'cuda' }), torch.randint(0, 3, [5], { device: 'cuda' })),
        (e: Error) => e instanceof GraphedStepError && /recorded with \[8, 1, 8, 8\] float32/.test(e.message) && /dropLast: true/.test(e.message));
      step.dispose();
    });
  }

  it('refuses an optimizer that is not capturable, and a graph without warm-up', () => {
    const m = net(1, 'cuda');
    const loss = (x: Tensor, y: Tensor): Tensor => ce(m.call(x), y);
    assert.throws(() => new GraphedTrainStep({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss }), /not capturable; construct it with capturable: true/);
    assert.throws(() => new GraphedTrainStep({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1, capturable: true }), loss, warmup: 0 }), /at least one warm-up step/);
  });
});
