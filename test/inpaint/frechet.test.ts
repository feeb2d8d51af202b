// The Fréchet distance against scipy (the pytorch-fid formula with scipy.linalg.sqrtm) on fresh random
// feature sets sent to Python as their exact float64 bytes; classifierFeatures against a manual forward
// through a small SmallCNN; the input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { torch, Tensor } from '../../src/torch/index.js';
import { Module } from '../../src/nn/module.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { SmallCNN } from '../../src/models/cnn.js';
import {
  frechetDistance, frechetDistanceFromStatistics, featureStatistics, classifierFeatures, FrechetError, FRECHET_DISTANCE_NAME,
} from '../../src/inpaint/frechet.js';

const PYTHON = process.env.SOUS_SCIPY_PYTHON ?? '/usr/bin/python3';
const REL = 1e-6;

// pytorch-fid's calculate_frechet_distance without its eps fallback: covariances with N-1 (np.cov),
// scipy.linalg.sqrtm of the product, real part of its trace.
const ORACLE = `
import json, sys, base64, warnings, numpy as np, scipy.linalg
warnings.simplefilter('ignore')
out = []
for case in json.load(sys.stdin):
    a = np.frombuffer(base64.b64decode(case['a']), dtype='<f8').reshape(case['sa'])
    b = np.frombuffer(base64.b64decode(case['b']), dtype='<f8').reshape(case['sb'])
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    diff = mu1 - mu2
    fd = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(scipy.linalg.sqrtm(s1.dot(s2)).real)
    # The same with tr((s1 s2)^1/2) as the nuclear norm of ca cb^T / sqrt((N-1)(M-1)) (ca, cb the
    # centred data): squared singular values of ca cb^T are the eigenvalues of (ca^T ca)(cb^T cb), and
    # the SVD stays accurate when the covariances are singular, where sqrtm loses ~1e-8.
    ca, cb = a - mu1, b - mu2
    nuc = np.linalg.svd(ca.dot(cb.T), compute_uv=False).sum() / np.sqrt((len(a) - 1) * (len(b) - 1))
    fd_svd = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * nuc
    out.append({'fd': float(fd), 'fd_svd': float(fd_svd), 'scale': float(np.trace(s1) + np.trace(s2) + diff.dot(diff))})
print(json.dumps(out))
`;

function b64(t: Tensor): string {
  const a = Float64Array.from(t.double().contiguous().toNumbers());
  return Buffer.from(a.buffer).toString('base64');
}

interface Ref { fd: number; fd_svd: number; scale: number }

function scipyFrechet(pairs: [Tensor, Tensor][]): Ref[] {
  const input = JSON.stringify(pairs.map(([a, b]) => ({ a: b64(a), b: b64(b), sa: a.shape, sb: b.shape })));
  const r = spawnSync(PYTHON, ['-c', ORACLE], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `scipy oracle failed (${PYTHON} needs numpy and scipy): ${r.stderr ?? String(r.error)}`);
  return JSON.parse(r.stdout) as Ref[];
}

/** Correlated, non-isotropic features [n, d]: Gaussian noise through a random mixing matrix, plus a mean. */
function features(n: number, d: number, mix: Tensor, mean: number): Tensor {
  return torch.tidy(() => torch.randn([n, d], { dtype: 'float64' }).matmul(mix).add(mean)).keep();
}

test('frechetDistance matches scipy (sqrtm) on random feature sets, D > N included', () => {
  torch.manualSeed(20260);
  const shapes: [number, number, number][] = [
    // N, M, D
    [50, 60, 8],
    [200, 150, 32],
    [1000, 800, 128],
    [20, 30, 64], // D > N: singular covariance
    [10, 12, 100], // both singular
    [3, 2, 5],
  ];
  const pairs: [Tensor, Tensor][] = [];
  for (const [n, m, d] of shapes) {
    const mixA = torch.randn([d, d], { dtype: 'float64' }).div(Math.sqrt(d)).keep();
    const mixB = torch.tidy(() => mixA.add(torch.randn([d, d], { dtype: 'float64' }).mul(0.3 / Math.sqrt(d)))).keep();
    pairs.push([features(n, d, mixA, 0), features(m, d, mixB, 0.2)]);
    mixA.dispose();
    mixB.dispose();
  }
  const ref = scipyFrechet(pairs);
  let worst = 0;
  let worstSvd = 0;
  pairs.forEach(([a, b], i) => {
    const got = frechetDistance(a, b);
    const { fd, fd_svd: svd, scale } = ref[i]!;
    const rel = Math.abs(got - fd) / Math.max(Math.abs(fd), 1e-300);
    const relSvd = Math.abs(got - svd) / Math.max(Math.abs(svd), 1e-300);
    worst = Math.max(worst, rel);
    worstSvd = Math.max(worstSvd, relSvd);
    console.log(`N=${a.shape[0]} M=${b.shape[0]} D=${a.shape[1]}: sous ${got}, scipy sqrtm ${fd} (rel diff ${rel.toExponential(2)}), numpy svd ${svd} (rel diff ${relSvd.toExponential(2)})`);
    assert.ok(rel <= REL, `${a.shape} vs ${b.shape}: got ${got}, scipy ${fd} (rel diff ${rel.toExponential(2)}, scale ${scale})`);
    assert.ok(relSvd <= 1e-10, `${a.shape} vs ${b.shape}: got ${got}, numpy svd ${svd} (rel diff ${relSvd.toExponential(2)})`);
    // Symmetric in its arguments.
    const back = frechetDistance(b, a);
    assert.ok(Math.abs(back - got) <= 1e-9 * scale, `not symmetric: ${got} vs ${back}`);
    a.dispose();
    b.dispose();
  });
  console.log(`max relative diff vs scipy sqrtm: ${worst.toExponential(2)}, vs numpy svd: ${worstSvd.toExponential(2)}`);
});

test('equal sets give ~0, shifted copies give the squared shift (and scipy agrees)', () => {
  torch.manualSeed(5);
  const cases: [number, number][] = [[100, 16], [30, 50]];
  const pairs: [Tensor, Tensor][] = [];
  const expected: number[] = [];
  for (const [n, d] of cases) {
    const mix = torch.randn([d, d], { dtype: 'float64' }).keep();
    const a = features(n, d, mix, 0.5);
    mix.dispose();
    const shift = torch.linspace(-1, 1, d, { dtype: 'float64' }).keep();
    const b = torch.tidy(() => a.add(shift)).keep();
    pairs.push([a, a], [a, b]);
    expected.push(0, torch.tidy(() => shift.dot(shift).item()));
    shift.dispose();
  }
  const ref = scipyFrechet(pairs);
  pairs.forEach(([a, b], i) => {
    const got = frechetDistance(a, b);
    const { fd, fd_svd: svd, scale } = ref[i]!;
    const want = expected[i]!;
    assert.ok(Math.abs(got - svd) <= 1e-10 * scale, `${a.shape} case ${i}: got ${got}, numpy svd ${svd}`);
    // Against the exact value: ~0 means rounding of the traces (scale = tr Σa + tr Σb + ‖δ‖²).
    assert.ok(got >= 0, `negative distance ${got}`);
    assert.ok(Math.abs(got - want) <= 1e-9 * scale, `${a.shape} case ${i}: got ${got}, exact ${want} (scale ${scale})`);
    // Relative to the result, or for a distance near 0 to the scale: sqrtm itself is off by ~1e-8 of
    // the scale when the covariances are singular (D > N).
    console.log(`N=${a.shape[0]} D=${a.shape[1]} ${want === 0 ? 'equal' : 'shifted'}: sous ${got}, exact ${want}, scipy sqrtm ${fd}, numpy svd ${svd} (scale ${scale.toFixed(1)})`);
    assert.ok(Math.abs(got - fd) <= REL * Math.max(Math.abs(fd), scale), `${a.shape} case ${i}: got ${got}, scipy ${fd}`);
  });
  for (const [a, b] of pairs) {
    a.dispose();
    b.dispose();
  }
});

test('featureStatistics + frechetDistanceFromStatistics equal frechetDistance; float32 features give the float64 value', () => {
  torch.manualSeed(11);
  const a = torch.randn([40, 6]).keep();
  const b = torch.tidy(() => torch.randn([70, 6]).mul(1.5).add(0.3)).keep();
  const sa = featureStatistics(a);
  const sb = featureStatistics(b);
  assert.equal(sa.count, 40);
  assert.equal(sa.dim, 6);
  assert.equal(sa.cov.length, 36);
  const direct = frechetDistance(a, b);
  assert.equal(frechetDistanceFromStatistics(sa, sb), direct);
  // float32 features are computed in float64: same as their float64 copy.
  const a64 = a.double().keep();
  const b64t = b.double().keep();
  assert.equal(frechetDistance(a64, b64t), direct);
  for (const t of [a, b, a64, b64t]) t.dispose();
  assert.match(FRECHET_DISTANCE_NAME, /Sous's own Fashion-MNIST classifier features/);
});

test('frechetDistance rejects bad inputs with clear errors', () => {
  const bad = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof FrechetError && re.test(e.message), String(re));
  const ok = torch.randn([5, 3]).keep();
  const one = torch.randn([1, 3]).keep();
  const d4 = torch.randn([5, 4]).keep();
  const flat = torch.randn([5]).keep();
  const nan = torch.tidy(() => torch.randn([5, 3]).index_fill(0, torch.tensor([2], { dtype: 'int64' }), NaN)).keep();
  const inf = torch.tidy(() => torch.randn([5, 3]).index_fill(0, torch.tensor([4], { dtype: 'int64' }), Infinity)).keep();
  bad(() => frechetDistance(one, ok), /^a has 1 sample; the covariance needs at least 2/);
  bad(() => frechetDistance(ok, one), /^b has 1 sample/);
  bad(() => frechetDistance(ok, d4), /a has D=3 .* but b has D=4/);
  bad(() => frechetDistance(flat, ok), /a must be a feature matrix \[N, D\].*got shape \[5\]/);
  bad(() => frechetDistance(ok, nan), /^b: features contain NaN/);
  bad(() => frechetDistance(inf, ok), /^a: features contain infinite/);
  bad(() => frechetDistance(ok, null as unknown as Tensor), /b must be a Tensor/);
  bad(() => frechetDistanceFromStatistics(featureStatistics(ok), featureStatistics(d4)), /different dimensions: a has D=3, b has D=4/);
  for (const t of [ok, one, d4, flat, nan, inf]) t.dispose();
});

test('classifierFeatures: the input of the last Linear, in eval mode and batches, as a manual forward', () => {
  torch.manualSeed(3);
  const model = new SmallCNN({ channels: [4, 6], hidden: 12, imageSize: 12, dropout: 0.5 });
  // Move the batch-norm statistics off their defaults, so that train vs eval mode would show.
  torch.noGrad(() => torch.tidy(() => {
    model.train();
    for (let i = 0; i < 3; i++) model.call(torch.randn([8, 1, 12, 12]).mul(2).add(1));
  }));
  model.train();
  const x = torch.rand([7, 1, 12, 12]).keep();
  const feats = classifierFeatures(model, x, { batchSize: 3 });
  assert.deepEqual(feats.shape, [7, 12]);
  assert.equal(feats.device, 'cpu');
  assert.equal(model.training, true, 'the model mode is restored');
  for (const m of model.modules()) assert.equal(m.training, true);
  // Manual forward in eval mode through every layer before the last Linear.
  const kids = [...model.children()];
  const last = kids[kids.length - 1]!;
  assert.ok(last instanceof Linear);
  model.eval();
  const manual = torch.noGrad(() => torch.tidy(() => {
    let h: Tensor = x;
    for (const m of kids.slice(0, -1)) h = (m as Module).call(h);
    return h;
  })).keep();
  model.train();
  const diff = torch.tidy(() => feats.sub(manual).abs().max().item());
  assert.ok(diff <= 1e-6, `features differ from the manual forward by ${diff}`);
  // Same again in one batch.
  const once = classifierFeatures(model, x, { batchSize: 100 });
  assert.equal(torch.tidy(() => once.sub(manual).abs().max().item()) <= 1e-6, true);

  // opts.layer: the input of the first Linear (the flattened conv features, after dropout = identity in eval).
  const named = [...model.namedModules()].filter(([, m]) => m instanceof Linear).map(([k]) => k);
  assert.equal(named.length, 2);
  const conv = classifierFeatures(model, x, { layer: named[0]!, batchSize: 4 });
  assert.deepEqual(conv.shape, [7, 6 * 3 * 3]);
  const manualConv = torch.noGrad(() => torch.tidy(() => {
    model.eval();
    let h: Tensor = x;
    for (const m of kids) {
      if (m instanceof Linear) break;
      h = (m as Module).call(h);
    }
    model.train();
    return h;
  })).keep();
  assert.ok(torch.tidy(() => conv.sub(manualConv).abs().max().item()) <= 1e-6);

  // Gradients are not recorded; the hooks are gone afterwards.
  assert.equal(feats.requiresGrad, false);
  const logits = torch.tidy(() => model.call(x).detach()).keep();
  assert.deepEqual(logits.shape, [7, 10]);

  // Frechet distance of a set with itself through the pipeline.
  assert.ok(frechetDistance(feats, once) < 1e-9);
  for (const t of [x, feats, manual, once, conv, manualConv, logits]) t.dispose();
});

test('classifierFeatures errors: unknown layer, no Linear, non-flat features', () => {
  const bad = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof FrechetError && re.test(e.message), String(re));
  const model = new SmallCNN({ channels: [2], hidden: 4, imageSize: 4 });
  const x = torch.rand([2, 1, 4, 4]).keep();
  bad(() => classifierFeatures(model, x, { layer: 'nope' }), /no module named 'nope'. Its modules: '', '0'/);
  bad(() => classifierFeatures(model, x, { layer: '0' }), /the input of '0' should be features \[2, D\].*got \[2, 1, 4, 4\]/);
  bad(() => classifierFeatures(model, x, { batchSize: 0 }), /batchSize must be an integer >= 1/);
  class NoLinear extends Module {
    override forward(t: Tensor): Tensor {
      return t.mul(2);
    }
  }
  bad(() => classifierFeatures(new NoLinear(), x), /has no Linear layer/);
  bad(() => classifierFeatures(model, x.narrow(0, 0, 0)), /0 samples/);
  // A failed call leaves no hook behind and restores the mode.
  assert.equal(model.training, true);
  const f = classifierFeatures(model, x);
  assert.deepEqual(f.shape, [2, 4]);
  f.dispose();
  x.dispose();
});
