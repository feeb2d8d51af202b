// PSNR and SSIM against scikit-image (Debian's python3-skimage) on the same random images, sent to
// Python as their exact float64 bytes; plus the input checks and the epoch-metric wrappers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { torch, Tensor } from '../../src/index.js';
import { MetricError } from '../../src/train/metrics.js';
import { psnr, ssim, ssimMetric, psnrMetric, ssimWindow } from '../../src/train/image-metrics.js';

const PYTHON = process.env.SOUS_SKIMAGE_PYTHON ?? '/usr/bin/python3';
const INSTALL = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-skimage (scripts/setup.sh)';
const TOL = 1e-4;

const ORACLE = `
import json, sys, base64, numpy as np
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
out = []
for case in json.load(sys.stdin):
    shape = case['shape']
    a = np.frombuffer(base64.b64decode(case['pred']), dtype='<f8').reshape(shape)
    b = np.frombuffer(base64.b64decode(case['target']), dtype='<f8').reshape(shape)
    R = case['dataRange']
    res = {'psnr': [], 'skimage': [], 'wang': []}
    for i in range(shape[0]):
        res['psnr'].append(float(peak_signal_noise_ratio(b[i], a[i], data_range=R)))
        res['skimage'].append(float(structural_similarity(a[i], b[i], data_range=R, channel_axis=0)))
        if min(shape[2], shape[3]) >= 11:
            res['wang'].append(float(structural_similarity(a[i], b[i], data_range=R, channel_axis=0,
                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)))
    out.append(res)
print(json.dumps(out))
`;

interface Case { pred: Tensor; target: Tensor; dataRange: number }
interface OracleResult { psnr: number[]; skimage: number[]; wang: number[] }

function requireSkimage(): void {
  const r = spawnSync(PYTHON, ['-c', 'import skimage.metrics'], { encoding: 'utf8' });
  if (r.status !== 0) {
    assert.fail(`scikit-image is missing for ${PYTHON}, the oracle of these tests. Install it: ${INSTALL}.\n${r.stderr ?? String(r.error)}`);
  }
}

function b64(t: Tensor): string {
  const a = Float64Array.from(t.double().contiguous().toNumbers());
  return Buffer.from(a.buffer).toString('base64');
}

function oracle(cases: Case[]): OracleResult[] {
  requireSkimage();
  const input = JSON.stringify(cases.map((c) => ({ shape: c.pred.shape, dataRange: c.dataRange, pred: b64(c.pred), target: b64(c.target) })));
  const r = spawnSync(PYTHON, ['-c', ORACLE], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `skimage oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleResult[];
}

/** A clean image batch in [lo, lo + range] and a noisy copy of it (smooth images, so SSIM is mid-range). */
function makeCase(shape: [number, number, number, number], noise: number, dataRange: number, lo = 0): Case {
  const [n, c, h, w] = shape;
  const clean = torch.tidy(() => {
    // Upsampled coarse noise: images with structure, not white noise, so SSIM responds to the noise level.
    const coarse = torch.rand([n, c, Math.ceil(h / 4), Math.ceil(w / 4)], { dtype: 'float64' });
    const up = coarse.repeat_interleave(4, 2).repeat_interleave(4, 3).slice(2, 0, h).slice(3, 0, w);
    return up.mul(0.7).add(torch.rand([n, c, h, w], { dtype: 'float64' }).mul(0.3));
  });
  const noisy = torch.tidy(() => clean.add(torch.randn([n, c, h, w], { dtype: 'float64' }).mul(noise)).clamp(0, 1));
  const scale = (t: Tensor): Tensor => torch.tidy(() => t.mul(dataRange).add(lo)).keep();
  const out = { pred: scale(noisy), target: scale(clean), dataRange };
  clean.dispose();
  noisy.dispose();
  return out;
}

const SHAPES: [[number, number, number, number], number, number, number][] = [
  // shape, noise std (relative), dataRange, offset
  [[4, 1, 28, 28], 0.1, 1, 0],
  [[3, 3, 32, 32], 0.08, 1, 0],
  [[2, 3, 32, 32], 0.15, 255, 0],
  [[2, 2, 11, 13], 0.12, 2, -1],
  [[3, 1, 17, 40], 0.2, 1, 0],
  [[1, 3, 64, 48], 0.08, 1, 0],
];

test('psnr and ssim (both presets) match skimage per image and in the mean', () => {
  torch.manualSeed(1234);
  const cases = SHAPES.map(([shape, noise, range, lo]) => makeCase(shape, noise, range, lo));
  const ref = oracle(cases);
  const maxDiff = { psnr: 0, skimage: 0, wang: 0 };
  const seen: number[] = [];
  cases.forEach((c, k) => {
    const r = ref[k]!;
    const p = psnr(c.pred, c.target, { dataRange: c.dataRange });
    const s = ssim(c.pred, c.target, { dataRange: c.dataRange });
    const w = ssim(c.pred, c.target, { dataRange: c.dataRange, preset: 'wang' });
    const check = (what: 'psnr' | 'skimage' | 'wang', got: { perImage: number[]; mean: number }, want: number[]): void => {
      assert.equal(got.perImage.length, want.length, `${what} ${c.pred.shape.join('x')}: number of images`);
      got.perImage.forEach((v, i) => {
        const d = Math.abs(v - want[i]!);
        maxDiff[what] = Math.max(maxDiff[what], d);
        assert.ok(d <= TOL, `${what} ${c.pred.shape.join('x')} image ${i}: got ${v}, skimage ${want[i]}`);
      });
      const mean = want.reduce((a, b) => a + b, 0) / want.length;
      assert.ok(Math.abs(got.mean - mean) <= TOL, `${what} mean: got ${got.mean}, skimage ${mean}`);
    };
    check('psnr', p, r.psnr);
    check('skimage', s, r.skimage);
    check('wang', w, r.wang);
    seen.push(...r.skimage, ...r.wang);
    c.pred.dispose();
    c.target.dispose();
  });
  // The images must be neither identical nor unrelated, or the comparison proves little.
  console.log(`ssim range of the test images: ${Math.min(...seen).toFixed(3)}..${Math.max(...seen).toFixed(3)}`);
  for (const v of seen) assert.ok(v > 0.3 && v < 0.95, `test images should give SSIM in (0.3, 0.95), got ${v}`);
  console.log(`max |diff| vs skimage: psnr ${maxDiff.psnr.toExponential(2)}, ssim skimage ${maxDiff.skimage.toExponential(2)}, ssim wang ${maxDiff.wang.toExponential(2)}`);
});

test('float32 inputs are scored in float64 (same values as their float64 copy)', () => {
  torch.manualSeed(7);
  const c = makeCase([2, 3, 32, 32], 0.1, 1);
  const p32 = c.pred.float().keep();
  const t32 = c.target.float().keep();
  const a = ssim(p32, t32, { dataRange: 1, preset: 'wang' });
  const b = ssim(p32.double(), t32.double(), { dataRange: 1, preset: 'wang' });
  assert.deepEqual(a.perImage, b.perImage);
  for (const t of [c.pred, c.target, p32, t32]) t.dispose();
});

test('identical images: ssim 1, psnr Infinity', () => {
  const x = torch.rand([2, 3, 16, 16], { dtype: 'float64' }).keep();
  for (const preset of ['skimage', 'wang'] as const) {
    for (const v of ssim(x, x, { dataRange: 1, preset }).perImage) assert.ok(Math.abs(v - 1) < 1e-12);
  }
  assert.deepEqual(psnr(x, x, { dataRange: 1 }).perImage, [Infinity, Infinity]);
  x.dispose();
});

test('window presets are as skimage builds them', () => {
  const u = ssimWindow('skimage');
  assert.equal(u.size, 7);
  assert.equal(u.sampleCovariance, true);
  const g = ssimWindow('wang');
  assert.equal(g.size, 11);
  assert.equal(g.sampleCovariance, false);
  assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('bad inputs fail with clear errors', () => {
  const a = torch.rand([2, 3, 16, 16]).keep();
  const b = torch.rand([2, 3, 16, 15]).keep();
  const three = torch.rand([3, 16, 16]).keep();
  const tiny = torch.rand([1, 1, 8, 8]).keep();
  const small = torch.rand([1, 1, 6, 20]).keep();
  const bad = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof MetricError && re.test(e.message));
  bad(() => ssim(a, b, { dataRange: 1 }), /ssim: pred has shape \[2, 3, 16, 16\] but target has \[2, 3, 16, 15\]/);
  bad(() => psnr(a, b, { dataRange: 1 }), /psnr: pred has shape/);
  bad(() => ssim(three, three, { dataRange: 1 }), /\[N, C, H, W\], got shape \[3, 16, 16\].*unsqueeze\(0\)/);
  bad(() => psnr(three, three, { dataRange: 1 }), /\[N, C, H, W\]/);
  bad(() => ssim(tiny, tiny, { dataRange: 1, preset: 'wang' }), /8x8 but the window is 11x11/);
  bad(() => ssim(small, small, { dataRange: 1 }), /6x20 but the window is 7x7/);
  bad(() => ssim(a, a, {} as { dataRange: number }), /dataRange must be a finite number > 0/);
  bad(() => psnr(a, a, { dataRange: 0 }), /dataRange must be/);
  bad(() => ssim(a, a, { dataRange: 1, preset: 'gauss' as 'wang' }), /preset must be 'skimage' or 'wang'/);
  bad(() => ssimMetric({ dataRange: NaN }), /ssim: dataRange/);
  const m = ssimMetric({ dataRange: 1, name: 'val_ssim' });
  bad(() => m.update(a, b), /^val_ssim: pred has shape/);
  const nan = torch.full([2, 3, 16, 16], NaN).keep();
  bad(() => m.update(nan, a), /val_ssim: an image scored NaN/);
  for (const t of [a, b, three, tiny, small, nan]) t.dispose();
});

test('ssimMetric / psnrMetric: batch-size-weighted epoch means, reset, state round trip', () => {
  torch.manualSeed(99);
  const batches = [makeCase([3, 3, 20, 20], 0.1, 1), makeCase([1, 3, 20, 20], 0.2, 1), makeCase([5, 3, 20, 20], 0.05, 1)];
  const allPred = torch.cat(batches.map((b) => b.pred)).keep();
  const allTarget = torch.cat(batches.map((b) => b.target)).keep();
  for (const preset of ['skimage', 'wang'] as const) {
    const m = ssimMetric({ dataRange: 1, preset });
    for (const b of batches) m.update(b.pred, b.target);
    const whole = ssim(allPred, allTarget, { dataRange: 1, preset }).mean;
    assert.ok(Math.abs(m.compute() - whole) < 1e-12, `${preset}: ${m.compute()} vs ${whole}`);
    // Resume mid-epoch from a JSON round trip of the state.
    const m2 = ssimMetric({ dataRange: 1, preset });
    m2.update(batches[0]!.pred, batches[0]!.target);
    const resumed = ssimMetric({ dataRange: 1, preset });
    resumed.loadState(JSON.parse(JSON.stringify(m2.state())));
    for (const b of batches.slice(1)) resumed.update(b.pred, b.target);
    assert.equal(resumed.compute(), m.compute());
    m.reset();
    assert.ok(Number.isNaN(m.compute()));
  }
  const p = psnrMetric({ dataRange: 1 });
  for (const b of batches) p.update(b.pred, b.target);
  assert.ok(Math.abs(p.compute() - psnr(allPred, allTarget, { dataRange: 1 }).mean) < 1e-9);
  // An exact match makes the mean infinite, and survives a JSON state.
  p.update(allTarget, allTarget);
  assert.equal(p.compute(), Infinity);
  const q = psnrMetric({ dataRange: 1 });
  q.loadState(JSON.parse(JSON.stringify(p.state())));
  assert.equal(q.compute(), Infinity);
  assert.throws(() => q.loadState(ssimMetric({ dataRange: 1 }).state()), /cannot load a state of kind 'SsimMetric'/);
  assert.throws(() => ssimMetric({ dataRange: 1, preset: 'wang' }).loadState(ssimMetric({ dataRange: 1 }).state()), /saved with dataRange=1, preset=skimage/);
  for (const b of batches) { b.pred.dispose(); b.target.dispose(); }
  allPred.dispose();
  allTarget.dispose();
});
