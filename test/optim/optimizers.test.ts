// Parity with PyTorch 1.13: SGD, Adam, AdamW and RMSprop trajectories. Each case trains the same
// model from the same initial weights on the same data for 20 steps in Sous (foreach and
// per-tensor paths) and in PyTorch, and compares the parameters after every step.
import assert from 'node:assert/strict';
import { torch, Tensor, type DType } from '../../src/index.js';
import { SGD, Adam, AdamW, RMSprop, Optimizer, type Params } from '../../src/optim/index.js';
import { paritySuite, pit, py, DEVICE } from '../helpers/parity.js';
import { assertClose } from '../helpers/oracle.js';
import { makeProblem, freshParams, train, trainPy, problemInputs, maxAbsDiff, loss, flat, type RunOptions } from './common.js';

type Make = (ps: Params, foreach: boolean) => Optimizer;

/** Sous groups [W1, b1] (defaults) and [W2, U, Z] with their own options. */
function groups(ps: ReturnType<typeof freshParams>, second: Record<string, unknown>): Params {
  return [{ params: ps.slice(0, 2) }, { params: ps.slice(2), ...second }] as Params;
}
const PY_GROUPS = (second: string): string => `[{'params': ps[:2]}, {'params': ps[2:], ${second}}]`;

interface Case {
  name: string;
  make: Make;
  py: string;
  dtype?: DType;
  run?: RunOptions;
  /** 'groups': the Sous constructor receives the two groups. */
  grouped?: Record<string, unknown>;
}

const cases: Case[] = [
  // SGD
  { name: 'SGD plain', make: (p, f) => new SGD(p, { lr: 0.1, foreach: f }), py: 'torch.optim.SGD(ps, lr=0.1)' },
  { name: 'SGD momentum', make: (p, f) => new SGD(p, { lr: 0.1, momentum: 0.9, foreach: f }), py: 'torch.optim.SGD(ps, lr=0.1, momentum=0.9)' },
  { name: 'SGD momentum + dampening + weight decay', make: (p, f) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01, foreach: f }),
    py: 'torch.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)' },
  { name: 'SGD nesterov + weight decay', make: (p, f) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05, foreach: f }),
    py: 'torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)' },
  { name: 'SGD maximize + momentum', make: (p, f) => new SGD(p, { lr: 0.02, momentum: 0.5, maximize: true, foreach: f }),
    py: 'torch.optim.SGD(ps, lr=0.02, momentum=0.5, maximize=True)' },
  { name: 'SGD param groups (lr, weight decay, momentum per group)', grouped: { lr: 0.01, weightDecay: 0.1, momentum: 0.5 },
    make: (p, f) => new SGD(p, { lr: 0.1, momentum: 0.9, foreach: f }),
    py: `torch.optim.SGD(${PY_GROUPS("'lr': 0.01, 'weight_decay': 0.1, 'momentum': 0.5")}, lr=0.1, momentum=0.9)` },
  { name: 'SGD weight decay with zeroed (not null) grads', run: { setToNone: false },
    make: (p, f) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, foreach: f }),
    py: 'torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1)' },
  { name: 'SGD nesterov float32', dtype: 'float32', make: (p, f) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, foreach: f }),
    py: 'torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)' },
  // Adam
  { name: 'Adam defaults (lr 1e-2)', make: (p, f) => new Adam(p, { lr: 1e-2, foreach: f }), py: 'torch.optim.Adam(ps, lr=1e-2)' },
  { name: 'Adam weight decay + amsgrad', make: (p, f) => new Adam(p, { lr: 0.05, weightDecay: 0.1, amsgrad: true, foreach: f }),
    py: 'torch.optim.Adam(ps, lr=0.05, weight_decay=0.1, amsgrad=True)' },
  { name: 'Adam maximize, betas, eps', make: (p, f) => new Adam(p, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, maximize: true, foreach: f }),
    py: 'torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)' },
  { name: 'Adam param groups', grouped: { lr: 0.001, weightDecay: 0.5, amsgrad: true },
    make: (p, f) => new Adam(p, { lr: 0.03, foreach: f }),
    py: `torch.optim.Adam(${PY_GROUPS("'lr': 0.001, 'weight_decay': 0.5, 'amsgrad': True")}, lr=0.03)` },
  { name: 'Adam weight decay with zeroed (not null) grads', run: { setToNone: false },
    make: (p, f) => new Adam(p, { lr: 0.05, weightDecay: 0.1, foreach: f }), py: 'torch.optim.Adam(ps, lr=0.05, weight_decay=0.1)' },
  { name: 'Adam amsgrad float32', dtype: 'float32', make: (p, f) => new Adam(p, { lr: 0.05, amsgrad: true, weightDecay: 0.01, foreach: f }),
    py: 'torch.optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.01)' },
  // AdamW
  { name: 'AdamW defaults (weight decay 1e-2)', make: (p, f) => new AdamW(p, { lr: 0.02, foreach: f }), py: 'torch.optim.AdamW(ps, lr=0.02)' },
  { name: 'AdamW amsgrad + maximize + weight decay', make: (p, f) => new AdamW(p, { lr: 0.01, weightDecay: 0.3, amsgrad: true, maximize: true, foreach: f }),
    py: 'torch.optim.AdamW(ps, lr=0.01, weight_decay=0.3, amsgrad=True, maximize=True)' },
  { name: 'AdamW param groups (no decay for the second)', grouped: { lr: 0.005, weightDecay: 0 },
    make: (p, f) => new AdamW(p, { lr: 0.02, weightDecay: 0.1, betas: [0.85, 0.995], foreach: f }),
    py: `torch.optim.AdamW(${PY_GROUPS("'lr': 0.005, 'weight_decay': 0")}, lr=0.02, weight_decay=0.1, betas=(0.85, 0.995))` },
  { name: 'AdamW float32', dtype: 'float32', make: (p, f) => new AdamW(p, { lr: 0.02, weightDecay: 0.1, foreach: f }),
    py: 'torch.optim.AdamW(ps, lr=0.02, weight_decay=0.1)' },
  // RMSprop
  { name: 'RMSprop defaults', make: (p, f) => new RMSprop(p, { foreach: f }), py: 'torch.optim.RMSprop(ps)' },
  { name: 'RMSprop centered + momentum', make: (p, f) => new RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true, foreach: f }),
    py: 'torch.optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True)' },
  { name: 'RMSprop weight decay, alpha, eps, maximize, momentum', make: (p, f) => new RMSprop(p, { lr: 0.005, alpha: 0.9, eps: 1e-6, weightDecay: 0.1, momentum: 0.5, maximize: true, foreach: f }),
    py: 'torch.optim.RMSprop(ps, lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, maximize=True)' },
  { name: 'RMSprop param groups', grouped: { lr: 0.001, centered: true, weightDecay: 0.2 },
    make: (p, f) => new RMSprop(p, { lr: 0.01, momentum: 0.3, foreach: f }),
    py: `torch.optim.RMSprop(${PY_GROUPS("'lr': 0.001, 'centered': True, 'weight_decay': 0.2")}, lr=0.01, momentum=0.3)` },
  { name: 'RMSprop weight decay with zeroed (not null) grads', run: { setToNone: false },
    make: (p, f) => new RMSprop(p, { lr: 0.01, weightDecay: 0.1, centered: true, foreach: f }), py: 'torch.optim.RMSprop(ps, lr=0.01, weight_decay=0.1, centered=True)' },
  { name: 'RMSprop centered momentum float32', dtype: 'float32', make: (p, f) => new RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true, foreach: f }),
    py: 'torch.optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True)' },
];

paritySuite('optimizer trajectories vs PyTorch (20 steps)', () => {
  for (const c of cases) {
    const dtype = c.dtype ?? 'float64';
    pit(`${c.name} [${dtype}]`, async () => {
      const prob = makeProblem(dtype);
      const expected = await py().call({ inputs: problemInputs(prob), code: trainPy(c.py, c.run) });
      assert.ok(expected.out !== null && 't' in expected.out);
      // foreach, per-tensor, and capturable (lr and step count on the device, as a CUDA graph needs).
      const trajs = [[true, false], [false, false], [false, true]].map(([foreach, capturable]) => {
        const ps = freshParams(prob.init);
        const opt = c.make(c.grouped ? groups(ps, c.grouped) : ps, foreach!);
        if (capturable) for (const g of opt.paramGroups) g.capturable = true;
        const t = train(opt, ps, prob, c.run);
        // The parameter that never had a gradient is never touched.
        assert.ok(!opt.state.has(ps[3]!), 'U has no grad: no state for it');
        opt.dispose();
        return t;
      });
      const tol = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
      assertClose(trajs[0]!, expected.out.t, { ...tol, label: 'foreach path vs PyTorch' });
      assertClose(trajs[1]!, expected.out.t, { ...tol, label: 'per-tensor path vs PyTorch' });
      assertClose(trajs[2]!, expected.out.t, { ...tol, label: 'capturable path vs PyTorch' });
      // On the CPU the foreach ops run the per-tensor kernels: identical numbers. CUDA has fused
      // multi-tensor kernels that may round differently.
      if (DEVICE === 'cpu') assert.equal(maxAbsDiff(trajs[0]!, trajs[1]!), 0, 'foreach and per-tensor paths give identical numbers');
      else assertClose(trajs[0]!, trajs[1]!, { ...tol, label: 'foreach vs per-tensor' });
    });
  }

  pit('Adam, AdamW and RMSprop on a complex parameter (view_as_real, as PyTorch)', async () => {
    const z0 = torch.randn([3], { dtype: 'complex128' });
    const c = torch.randn([3], { dtype: 'complex128' });
    const tgt = torch.randn([3], { dtype: 'complex128' });
    const specs: [string, (p: Params) => Optimizer][] = [
      ['torch.optim.Adam([z], lr=0.05)', (p) => new Adam(p, { lr: 0.05 })],
      ['torch.optim.AdamW([z], lr=0.05, weight_decay=0.1)', (p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1 })],
      ['torch.optim.RMSprop([z], lr=0.01, momentum=0.5, centered=True)', (p) => new RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true })],
      ['torch.optim.SGD([z], lr=0.05, momentum=0.9)', (p) => new SGD(p, { lr: 0.05, momentum: 0.9 })],
    ];
    for (const [ctor, make] of specs) {
      const code = `z = z0.clone().requires_grad_()\nopt = ${ctor}\nrows = []\nfor i in range(10):\n    opt.zero_grad()\n    (z * c - tgt).abs().pow(2).sum().backward()\n    opt.step()\n    rows.append(z.detach().clone())\nout = torch.stack(rows)`;
      const expected = await py().call({ inputs: { z0, c, tgt }, code });
      assert.ok(expected.out !== null && 't' in expected.out);
      for (const [foreach, capturable] of [[true, false], [false, false], [false, true]]) {
        const z = z0.to(DEVICE, { copy: true }).requiresGrad_(true);
        const [cd, td] = [c.to(DEVICE), tgt.to(DEVICE)];
        const opt = make([z]);
        for (const g of opt.paramGroups) { g.foreach = foreach; g.capturable = capturable; }
        const rows = [];
        for (let i = 0; i < 10; i++) {
          opt.zeroGrad();
          torch.tidy(() => z.mul(cd).sub(td).abs().pow(2).sum().backward());
          opt.step();
          rows.push(z.detach().clone());
        }
        assertClose(torch.stack(rows), expected.out.t, { rtol: 1e-10, atol: 1e-12, label: `${ctor} foreach=${foreach} capturable=${capturable}` });
        opt.dispose();
      }
    }
  });
});

paritySuite('capturable optimizers: the lr lives on the device and follows a schedule', () => {
  const specs: [string, (p: Params) => Optimizer][] = [
    ['torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, capturable: true })],
    ['torch.optim.Adam(ps, lr=0.05, amsgrad=True)', (p) => new Adam(p, { lr: 0.05, amsgrad: true, capturable: true })],
    ['torch.optim.AdamW(ps, lr=0.05, weight_decay=0.1)', (p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1, capturable: true })],
    ['torch.optim.RMSprop(ps, lr=0.01, momentum=0.5)', (p) => new RMSprop(p, { lr: 0.01, momentum: 0.5, capturable: true })],
  ];
  for (const [ctor, make] of specs) {
    pit(`${ctor.split('(')[0]} capturable with a step schedule`, async () => {
      const prob = makeProblem('float64');
      // The lr halves every 3 steps on both sides (set by hand, as a schedule does).
      const code = trainPy(ctor).replace('    opt.zero_grad(', "    for g in opt.param_groups: g['lr'] = g.setdefault('lr0', g['lr']) * 0.5 ** (i // 3)\n    opt.zero_grad(");
      const expected = await py().call({ inputs: problemInputs(prob), code });
      assert.ok(expected.out !== null && 't' in expected.out);
      const ps = freshParams(prob.init);
      const opt = make(ps);
      const lr0 = opt.paramGroups[0]!.lr;
      const rows: Tensor[] = [];
      for (let i = 0; i < 20; i++) {
        opt.paramGroups[0]!.lr = lr0 * 0.5 ** Math.floor(i / 3);
        opt.zeroGrad();
        torch.tidy(() => loss(ps, prob.X, prob.Y).backward());
        opt.step();
        rows.push(flat(ps));
      }
      assertClose(torch.stack(rows), expected.out.t, { rtol: 1e-10, atol: 1e-12, label: ctor });
      assert.ok(opt.state.get(ps[0]!)!.step === undefined || opt.state.get(ps[0]!)!.step instanceof Tensor, 'the step count lives in a tensor');
      opt.dispose();
    });
  }

  pit('while capturing, step() neither refills the lr nor creates state; refreshLr() copies the new lr', () => {
    const prob = makeProblem('float64');
    const ps = freshParams(prob.init);
    const opt = new SGD(ps, { lr: 0.05, momentum: 0.9, capturable: true });
    const stepOnce = (): void => {
      opt.zeroGrad();
      torch.tidy(() => loss(ps, prob.X, prob.Y).backward());
      opt.step();
    };
    // No warm-up: the state would be created inside the capture.
    opt.capturing = true;
    assert.throws(stepOnce, /warm-up/);
    opt.capturing = false;
    stepOnce();
    // A capturing step reads the lr tensor as it is: the new lr reaches it only through refreshLr().
    const before = flat(ps);
    opt.paramGroups[0]!.lr = 0;
    opt.capturing = true;
    stepOnce();
    opt.capturing = false;
    assert.ok(maxAbsDiff(flat(ps), before) > 0, 'the captured step used the old lr (0.05), not 0');
    opt.refreshLr();
    const after = flat(ps);
    opt.capturing = true;
    stepOnce();
    opt.capturing = false;
    assert.equal(maxAbsDiff(flat(ps), after), 0, 'after refreshLr() the lr tensor holds 0: nothing moves');
    opt.dispose();
  });

  pit('capturable must be a boolean', () => {
    const ps = freshParams(makeProblem('float64').init);
    assert.throws(() => new SGD(ps, { lr: 0.1, capturable: 1 as unknown as boolean }), /option capturable must be a boolean/);
  });
});
