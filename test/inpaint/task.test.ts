// The inpainting task: random rectangle masks (sizes in range, per sample, per epoch, fixed for
// evaluation), the masked inputs and mask-carrying targets, the hole/valid loss against PyTorch,
// PSNR/SSIM on completed images against scikit-image, and the loader's determinism on resume.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { torch, data, type Tensor } from '../../src/index.js';
import { randomRectangleMasks, maskedInputs, inpaintingTargets, splitMaskChannel, composite, InpaintingLoss, CompletedImageMetric, InpaintingLoader, InpaintingError } from '../../src/inpaint/index.js';
import { Oracle, assertClose, toTensor, type WireTensor } from '../helpers/oracle.js';

let oracle: Oracle;
before(async () => { oracle = await Oracle.start(); });
after(async () => { await oracle.close(); });

/** The bounding box and pixel count of each mask of [B, 1, H, W]. */
function boxes(masks: Tensor): { top: number; left: number; height: number; width: number; count: number }[] {
  const [B, , H, W] = masks.shape as [number, number, number, number];
  const a = masks.toArray() as Float32Array;
  const out = [];
  for (let b = 0; b < B; b++) {
    let top = H, left = W, bottom = -1, right = -1, count = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const v = a[b * H * W + y * W + x]!;
      assert.ok(v === 0 || v === 1, `mask value ${v}`);
      if (v === 1) { count++; top = Math.min(top, y); left = Math.min(left, x); bottom = Math.max(bottom, y); right = Math.max(right, x); }
    }
    out.push({ top, left, height: bottom - top + 1, width: right - left + 1, count });
  }
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('rectangle masks', () => {
  it('draws one rectangle per sample with sides in [min, max], inside the image', () => {
    const m = randomRectangleMasks(range(200), 28, 28, { minSize: 6, maxSize: 14 }, 1, 0);
    assert.deepEqual(m.shape, [200, 1, 28, 28]);
    const bs = boxes(m);
    const sides = new Set<number>();
    for (const b of bs) {
      assert.equal(b.count, b.height * b.width, 'a solid rectangle');
      for (const s of [b.height, b.width]) { assert.ok(s >= 6 && s <= 14, `side ${s}`); sides.add(s); }
      assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= 28 && b.left + b.width <= 28);
    }
    assert.equal(sides.size, 9, 'every side length of the range occurs');
    m.dispose();
  });

  it('12×12 holes when min = max = 12', () => {
    const m = randomRectangleMasks(range(20), 28, 28, { minSize: 12, maxSize: 12 }, 0, null);
    for (const b of boxes(m)) assert.deepEqual([b.height, b.width, b.count], [12, 12, 144]);
    m.dispose();
  });

  it('differ between the samples of a batch and between epochs; evaluation masks are fixed', () => {
    const key = (t: Tensor) => boxes(t).map((b) => `${b.top},${b.left},${b.height},${b.width}`);
    const e0 = randomRectangleMasks(range(64), 28, 28, { minSize: 4, maxSize: 16 }, 5, 0);
    const e0again = randomRectangleMasks(range(64), 28, 28, { minSize: 4, maxSize: 16 }, 5, 0);
    const e1 = randomRectangleMasks(range(64), 28, 28, { minSize: 4, maxSize: 16 }, 5, 1);
    const k0 = key(e0);
    assert.ok(new Set(k0).size >= 60, `only ${new Set(k0).size} distinct masks in a batch of 64`);
    assert.deepEqual(key(e0again), k0, 'same seed, epoch and index: same mask');
    const changed = key(e1).filter((k, i) => k !== k0[i]).length;
    assert.ok(changed >= 60, `only ${changed} of 64 masks changed between epochs`);
    const v1 = randomRectangleMasks([3, 7], 28, 28, { minSize: 4, maxSize: 16 }, 0, null);
    const v2 = randomRectangleMasks([7, 3], 28, 28, { minSize: 4, maxSize: 16 }, 0, null);
    assert.deepEqual(key(v1), key(v2).reverse(), 'an evaluation mask depends on the sample index only');
    for (const t of [e0, e0again, e1, v1, v2]) t.dispose();
  });

  it('several holes per image', () => {
    const m = randomRectangleMasks(range(50), 28, 28, { minSize: 3, maxSize: 5, count: 3 }, 0, 0);
    const counts = boxes(m).map((b) => b.count);
    assert.ok(counts.every((c) => c >= 9 && c <= 75));
    assert.ok(counts.some((c) => c > 25), 'more than one rectangle per image');
    m.dispose();
  });

  it('rejects sizes that do not fit and bad counts', () => {
    assert.throws(() => randomRectangleMasks([0], 28, 28, { minSize: 8, maxSize: 30 }, 0, 0), /maxSize 30 does not fit in a 28×28 image/);
    assert.throws(() => randomRectangleMasks([0], 28, 28, { minSize: 8, maxSize: 4 }, 0, 0), /maxSize must be an integer >= minSize/);
    assert.throws(() => randomRectangleMasks([0], 28, 28, { minSize: 0, maxSize: 4 }, 0, 0), /minSize must be an integer >= 1/);
    assert.throws(() => randomRectangleMasks([0], 28, 28, { minSize: 2, maxSize: 4, count: 0 }, 0, 0), /count must be an integer >= 1/);
  });
});

describe('inputs and targets', () => {
  it('zeroes the hole, appends the mask; targets keep the image; split and composite undo it', () => {
    torch.manualSeed(0);
    const x = torch.rand([3, 2, 10, 10]);
    const m = randomRectangleMasks([0, 1, 2], 10, 10, { minSize: 3, maxSize: 6 }, 0, 0);
    const inp = maskedInputs(x, m);
    const tgt = inpaintingTargets(x, m);
    assert.deepEqual(inp.shape, [3, 3, 10, 10]);
    assert.equal(torch.tidy(() => inp.narrow(1, 0, 2).mul(m).abs().sum().item()), 0, 'hole pixels are zero');
    assert.equal(torch.tidy(() => inp.narrow(1, 0, 2).sub(x).mul(m.neg().add(1)).abs().max().item()), 0, 'valid pixels unchanged');
    const { images, masks } = splitMaskChannel(tgt);
    assert.equal(torch.tidy(() => images.sub(x).abs().max().item()), 0);
    assert.equal(torch.tidy(() => masks.sub(m).abs().max().item()), 0);
    const garbage = torch.rand([3, 2, 10, 10]);
    const done = composite(garbage, x, m);
    assert.equal(torch.tidy(() => done.sub(x).mul(m.neg().add(1)).abs().max().item()), 0, 'composite keeps known pixels');
    assert.equal(torch.tidy(() => done.sub(garbage).mul(m).abs().max().item()), 0, 'and the prediction in the hole');
    assert.throws(() => maskedInputs(x, m.narrow(0, 0, 2)), (e: unknown) => e instanceof InpaintingError && /masks must be \[B, 1, H, W\] = \[3, 1, 10, 10\]/.test(e.message));
    assert.throws(() => splitMaskChannel(torch.rand([2, 1, 4, 4]).narrow(1, 0, 1).squeeze(1)), /\[B, C\+1, H, W\]/);
    for (const t of [x, m, inp, tgt, garbage, done]) t.dispose();
  });
});

describe('InpaintingLoss', () => {
  const cases: { kind: 'l1' | 'mse' | 'smooth_l1'; hole: number; valid: number; elem: string }[] = [
    { kind: 'l1', hole: 6, valid: 1, elem: '(o - t).abs()' },
    { kind: 'mse', hole: 1, valid: 0.5, elem: '(o - t) ** 2' },
    { kind: 'smooth_l1', hole: 2, valid: 1, elem: 'F.smooth_l1_loss(o, t, reduction="none", beta=0.3)' },
  ];
  for (const c of cases) {
    it(`${c.kind}, hole ${c.hole}, valid ${c.valid}: value and gradient equal PyTorch's`, async () => {
      const out = torch.rand([4, 3, 9, 9], { dtype: 'float64' }).mul(2).sub(0.5).requiresGrad_(true);
      const img = torch.rand([4, 3, 9, 9], { dtype: 'float64' });
      const m = randomRectangleMasks([0, 1, 2, 3], 9, 9, { minSize: 2, maxSize: 6 }, 3, 0).to('float64');
      const targets = torch.cat([img, m], 1);
      const loss = new InpaintingLoss({ kind: c.kind, holeWeight: c.hole, validWeight: c.valid, ...(c.kind === 'smooth_l1' ? { beta: 0.3 } : {}) });
      const v = loss.call(out, targets);
      v.backward();
      const r = await oracle.call({
        inputs: { o: out, tg: targets },
        code: `t = tg[:, :-1]; m = tg[:, -1:]\ne = ${c.elem}\nout = ${c.hole} * (e * m).mean() + ${c.valid} * (e * (1 - m)).mean()`,
        gradSeeds: ['sum'],
      });
      const wire = r.out as { t: WireTensor };
      assertClose(v.detach(), wire.t, { checkDtype: false, label: 'loss' });
      assertClose(out.grad!, r.grads.o!, { label: 'grad' });
      for (const t of [out, img, m, targets, v]) t.dispose();
    });
  }

  it('weights 1 and 1 are the plain L1 loss; targets without the mask compare everywhere', () => {
    const o = torch.rand([2, 1, 6, 6]);
    const img = torch.rand([2, 1, 6, 6]);
    const m = randomRectangleMasks([0, 1], 6, 6, { minSize: 2, maxSize: 3 }, 0, 0);
    const both = new InpaintingLoss({ holeWeight: 1, validWeight: 1 });
    const plain = torch.tidy(() => o.sub(img).abs().mean().item());
    assert.ok(Math.abs(torch.tidy(() => both.call(o, torch.cat([img, m], 1)).item()) - plain) < 1e-6);
    assert.ok(Math.abs(torch.tidy(() => new InpaintingLoss().call(o, img).item()) - plain) < 1e-6);
    for (const t of [o, img, m]) t.dispose();
  });

  it('names the expected target shape and rejects bad options', () => {
    const loss = new InpaintingLoss();
    assert.throws(() => torch.tidy(() => loss.call(torch.rand([2, 1, 6, 6]), torch.rand([2, 3, 6, 6]))), /targets must be \[B, C\+1, H, W\] = \[2, 2, 6, 6\]/);
    assert.throws(() => torch.tidy(() => loss.call(torch.rand([2, 36]), torch.rand([2, 36]))), /outputs must be images \[B, C, H, W\]/);
    assert.throws(() => new InpaintingLoss({ kind: 'huber' as 'l1' }), /kind must be 'l1', 'mse' or 'smooth_l1'/);
    assert.throws(() => new InpaintingLoss({ holeWeight: -1 }), /holeWeight must be a finite number >= 0/);
    assert.throws(() => new InpaintingLoss({ holeWeight: 0, validWeight: 0 }), /nothing would be learned/);
    assert.throws(() => new InpaintingLoss({ hole: 1 } as never), /unknown option 'hole'/);
  });
});

describe('PSNR and SSIM of completed images', () => {
  it('score the composite (prediction in the hole, known pixels outside) as scikit-image does', async () => {
    const img = torch.rand([3, 1, 16, 16], { dtype: 'float64' });
    const pred = torch.rand([3, 1, 16, 16], { dtype: 'float64' }).mul(1.4).sub(0.2); // outside [0, 1]: clamped
    const m = randomRectangleMasks([0, 1, 2], 16, 16, { minSize: 4, maxSize: 9 }, 2, null).to('float64');
    const targets = torch.cat([img, m], 1);
    const p = new CompletedImageMetric('psnr');
    const s = new CompletedImageMetric('ssim');
    p.update(pred, targets);
    s.update(pred, targets);
    const r = await oracle.call({
      inputs: { img, pred, m },
      code: [
        'import numpy as np',
        'from skimage.metrics import peak_signal_noise_ratio as P, structural_similarity as S',
        'done = (pred.clamp(0, 1) * m + img * (1 - m)).float().double().numpy()',
        'ref = img.float().double().numpy()',
        'ps = [P(ref[i, 0], done[i, 0], data_range=1) for i in range(3)]',
        'ss = [S(ref[i, 0], done[i, 0], data_range=1) for i in range(3)]',
        'out = torch.tensor([float(np.mean(ps)), float(np.mean(ss))], dtype=torch.float64)',
      ].join('\n'),
    });
    const [ep, es] = toTensor((r.out as { t: WireTensor }).t).toNumbers();
    assert.ok(Math.abs(p.compute() - ep!) < 1e-4, `psnr ${p.compute()} vs skimage ${ep}`);
    assert.ok(Math.abs(s.compute() - es!) < 1e-4, `ssim ${s.compute()} vs skimage ${es}`);
    const exact = new CompletedImageMetric('psnr');
    exact.update(torch.tidy(() => img.mul(m).add(torch.rand([3, 1, 16, 16], { dtype: 'float64' }).mul(m.neg().add(1)))), targets);
    assert.equal(exact.compute(), Infinity, 'errors outside the hole do not count');
    for (const t of [img, pred, m, targets]) t.dispose();
  });
});

describe('InpaintingLoader', () => {
  const images = () => torch.rand([40, 1, 12, 12]);
  const holes = { minSize: 3, maxSize: 7 };
  async function collect(l: InpaintingLoader): Promise<{ inputs: number[][]; targets: number[][] }> {
    const inputs: number[][] = [], targets: number[][] = [];
    for await (const b of l) {
      inputs.push(b.inputs.toNumbers());
      targets.push(b.targets.toNumbers());
      b.inputs.dispose();
      b.targets.dispose();
    }
    return { inputs, targets };
  }

  it('new training masks every epoch, fixed evaluation masks, and a resume mid-epoch sees the same batches', async () => {
    torch.manualSeed(1);
    const x = images();
    const y = torch.zeros([40], { dtype: 'int64' });
    const mk = (mode: 'train' | 'eval') => new InpaintingLoader(data.DataLoader.fromTensors(x, y, { batchSize: 8, shuffle: true, seed: 4 }), { holes, seed: 9, mode });
    const train = mk('train');
    assert.equal(train.length, 5);
    const e0 = await collect(train);
    const e1 = await collect(train);
    assert.notDeepEqual(e0.targets, e1.targets, 'training masks change between epochs');
    const again = mk('train');
    again.setEpoch(1, 2);
    const tail = await collect(again);
    assert.deepEqual(tail.inputs, e1.inputs.slice(2), 'a loader resumed at epoch 1, batch 2 gives the same batches');
    const ev = new InpaintingLoader(data.DataLoader.fromTensors(x, y, { batchSize: 8 }), { holes, seed: 0, mode: 'eval' });
    const v0 = await collect(ev);
    const v1 = await collect(ev);
    assert.deepEqual(v0.inputs, v1.inputs, 'evaluation masks are the same every epoch');
    x.dispose();
    y.dispose();
  });
});
