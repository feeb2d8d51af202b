// The inpainting baselines against numpy/scipy on random images and masks sent to Python as their exact
// float64 bytes: meanFill against numpy, smoothFill against a direct sparse solve (scipy.sparse +
// spsolve) of the Laplace system of the hole pixels, nearestTrainingFill against a brute-force numpy
// search; plus the border rule, unchanged valid pixels and the input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { torch, Tensor } from '../../src/torch/index.js';
import { meanFill, smoothFill, harmonicFill, nearestTrainingFill } from '../../src/inpaint/baselines.js';
import { InpaintingError } from '../../src/inpaint/masks.js';

const PYTHON = process.env.SOUS_SCIPY_PYTHON ?? '/usr/bin/python3';

const ORACLE = `
import json, sys, base64, numpy as np
import scipy.sparse, scipy.sparse.linalg

def arr(s, shape):
    return np.frombuffer(base64.b64decode(s), dtype='<f8').reshape(shape).copy()

def enc(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode()

def mean_fill(x, m):
    out = x.copy()
    for i in range(x.shape[0]):
        hole = m[i, 0] != 0
        for c in range(x.shape[1]):
            out[i, c][hole] = x[i, c][~hole].mean()
    return out

def laplace_fill(x, m):
    # Hole pixels: deg(p) u_p - sum(hole neighbours u_q) = sum(valid neighbours x_q), with deg(p) the
    # number of in-image neighbours (2 in a corner, 3 on an edge, 4 inside).
    out = x.copy()
    B, C, H, W = x.shape
    for i in range(B):
        hole = m[i, 0] != 0
        idx = -np.ones((H, W), dtype=int)
        pts = np.argwhere(hole)
        idx[hole] = np.arange(len(pts))
        rows, cols, vals = [], [], []
        rhs = np.zeros((len(pts), C))
        for k, (r, c) in enumerate(pts):
            deg = 0
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < H and 0 <= cc < W:
                    deg += 1
                    if hole[rr, cc]:
                        rows.append(k); cols.append(idx[rr, cc]); vals.append(-1.0)
                    else:
                        rhs[k] += x[i, :, rr, cc]
            rows.append(k); cols.append(k); vals.append(float(deg))
        A = scipy.sparse.csc_matrix((vals, (rows, cols)), shape=(len(pts), len(pts)))
        for c in range(C):
            out[i, c][hole] = scipy.sparse.linalg.spsolve(A, rhs[:, c])
    return out

def nearest(x, m, t):
    v = (m == 0).astype(np.float64)                      # [B, 1, H, W]
    xs = np.where(v != 0, x, 0.0)
    d = (((xs[:, None] - t[None]) ** 2) * v[:, None]).sum(axis=(2, 3, 4))   # [B, N]
    best = d.argmin(1)
    out = np.where(v != 0, x, t[best])
    return best, d[np.arange(len(best)), best], out

res = []
for case in json.load(sys.stdin):
    x = arr(case['x'], case['xs'])
    m = arr(case['m'], case['ms'])
    if case['kind'] == 'mean':
        res.append({'out': enc(mean_fill(x, m))})
    elif case['kind'] == 'laplace':
        res.append({'out': enc(laplace_fill(x, m))})
    else:
        best, dist, out = nearest(x, m, arr(case['t'], case['ts']))
        res.append({'out': enc(out), 'indices': best.tolist(), 'distances': dist.tolist()})
print(json.dumps(res))
`;

function b64(t: Tensor): string {
  const a = Float64Array.from(t.double().contiguous().toNumbers());
  return Buffer.from(a.buffer).toString('base64');
}

interface Case { kind: 'mean' | 'laplace' | 'nearest'; x: Tensor; m: Tensor; t?: Tensor }
interface Ref { out: Float64Array; indices?: number[]; distances?: number[] }

function oracle(cases: Case[]): Ref[] {
  const input = JSON.stringify(cases.map((c) => ({
    kind: c.kind, x: b64(c.x), xs: c.x.shape, m: b64(c.m), ms: c.m.shape,
    ...(c.t ? { t: b64(c.t), ts: c.t.shape } : {}),
  })));
  const r = spawnSync(PYTHON, ['-c', ORACLE], { input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  assert.equal(r.status, 0, `numpy/scipy oracle failed (${PYTHON} needs numpy and scipy): ${r.stderr ?? String(r.error)}`);
  const raw = JSON.parse(r.stdout) as { out: string; indices?: number[]; distances?: number[] }[];
  return raw.map((o) => {
    const b = Buffer.from(o.out, 'base64');
    return { ...o, out: new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
  });
}

type Rect = [number, number, number, number]; // top, left, height, width

/** Masks [B, 1, H, W] with 1 inside each image's rectangles. */
function rectMasks(h: number, w: number, perImage: Rect[][]): Tensor {
  const data = new Float32Array(perImage.length * h * w);
  perImage.forEach((rects, i) => {
    for (const [top, left, rh, rw] of rects) {
      for (let r = top; r < top + rh; r++) for (let c = left; c < left + rw; c++) data[i * h * w + r * w + c] = 1;
    }
  });
  return torch.fromTypedArray(data, [perImage.length, 1, h, w]);
}

/** Smooth-ish random images in [0, 1] (upsampled noise plus a little fine noise), with `junk` in the holes. */
function images(shape: [number, number, number, number], masks: Tensor, junk: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const [b, c, h, w] = shape;
  return torch.tidy(() => {
    const coarse = torch.rand([b, c, Math.ceil(h / 4), Math.ceil(w / 4)], { dtype: 'float64' });
    const up = coarse.repeat_interleave(4, 2).repeat_interleave(4, 3).slice(2, 0, h).slice(3, 0, w);
    const x = up.mul(0.8).add(torch.rand([b, c, h, w], { dtype: 'float64' }).mul(0.2));
    return x.masked_fill(masks.ne(0), junk).to(dtype);
  }).keep();
}

function maxAbsDiff(t: Tensor, ref: Float64Array): number {
  const got = t.double().contiguous().toNumbers();
  assert.equal(got.length, ref.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - ref[i]!));
  return m;
}

/** Valid pixels (mask 0) of `out` are bit-for-bit those of `x`. */
function assertValidUnchanged(out: Tensor, x: Tensor, m: Tensor, what: string): void {
  assert.deepEqual(out.shape, x.shape, `${what}: shape`);
  assert.equal(out.dtype, x.dtype, `${what}: dtype`);
  const same = torch.tidy(() => {
    const valid = m.eq(0).expand(x.shape);
    return out.masked_select(valid).eq(x.masked_select(valid)).all().item();
  });
  assert.ok(same, `${what}: valid pixels changed`);
}

/** A copy of `t` (float32/float64) with the elements at the given flat (row-major) positions set to `value`. */
function withValue(t: Tensor, flat: number[], value: number): Tensor {
  const a = Float64Array.from(t.double().contiguous().toNumbers());
  for (const i of flat) a[i] = value;
  return torch.tidy(() => torch.fromTypedArray(a, t.shape).to(t.dtype));
}

const MASKS_28: Rect[][] = [
  [[8, 8, 12, 12]], // the 12x12 centre hole
  [[0, 0, 7, 9]], // the top-left corner: touches two borders
  [[2, 3, 4, 5], [15, 10, 6, 14], [22, 0, 6, 4]], // several, one on the left and bottom borders
  [[0, 5, 28, 3]], // a full-height stripe: touches top and bottom
  [], // no hole
];

test('meanFill matches numpy per image and channel; valid pixels unchanged', () => {
  torch.manualSeed(1);
  const m1 = rectMasks(28, 28, MASKS_28).keep();
  const x1 = images([5, 1, 28, 28], m1, NaN); // NaN in the holes must not matter
  const m2 = rectMasks(16, 20, [[[3, 4, 6, 7]], [[0, 0, 16, 19]], [[10, 15, 6, 5], [1, 1, 2, 2]]]).keep();
  const x2 = images([3, 3, 16, 20], m2, 7);
  const ref = oracle([{ kind: 'mean', x: x1, m: m1 }, { kind: 'mean', x: x2, m: m2 }]);
  for (const [k, [x, m]] of [[x1, m1], [x2, m2]].entries()) {
    const out = meanFill(x!, m!);
    const d = maxAbsDiff(out, ref[k]!.out);
    assert.ok(d <= 1e-12, `meanFill ${x!.shape}: max |diff| vs numpy ${d}`);
    assertValidUnchanged(out, x!, m!, 'meanFill');
    out.dispose();
  }
  // float32 images: filled in float64, returned as float32.
  const x3 = x2.float().keep();
  const out3 = meanFill(x3, m2);
  assert.equal(out3.dtype, 'float32');
  assertValidUnchanged(out3, x3, m2, 'meanFill float32');
  assert.ok(maxAbsDiff(out3, ref[1]!.out) <= 1e-6);
  for (const t of [m1, x1, m2, x2, x3, out3]) t.dispose();
});

test('smoothFill solves the Laplace system of scipy spsolve to 1e-4 (border rule: in-image neighbours only)', () => {
  torch.manualSeed(2);
  const m1 = rectMasks(28, 28, MASKS_28).keep();
  const x1 = images([5, 1, 28, 28], m1, NaN);
  const m2 = rectMasks(16, 20, [[[3, 4, 6, 7]], [[0, 0, 16, 19]], [[10, 15, 6, 5], [1, 1, 2, 2], [0, 12, 3, 8]]]).keep();
  const x2 = images([3, 3, 16, 20], m2, -3);
  const ref = oracle([{ kind: 'laplace', x: x1, m: m1 }, { kind: 'laplace', x: x2, m: m2 }]);
  for (const [k, [x, m]] of [[x1, m1], [x2, m2]].entries()) {
    const r = harmonicFill(x!, m!);
    const d = maxAbsDiff(r.images, ref[k]!.out);
    console.log(`smoothFill ${x!.shape}: ${r.iterations} sweeps, last change ${r.maxChange.toExponential(2)}, max |diff| vs spsolve ${d.toExponential(2)}`);
    assert.ok(r.converged);
    assert.ok(d <= 1e-4, `smoothFill ${x!.shape}: max |diff| vs spsolve ${d}`);
    assertValidUnchanged(r.images, x!, m!, 'smoothFill');
    r.images.dispose();
  }
  // Gauss-Seidel (omega 1) reaches the same solution, in more sweeps.
  const gs = harmonicFill(x1, m1, { omega: 1, tol: 1e-8 });
  const sor = harmonicFill(x1, m1, { tol: 1e-8 });
  console.log(`tol 1e-8: Gauss-Seidel ${gs.iterations} sweeps, SOR ${sor.iterations} sweeps`);
  assert.ok(gs.iterations > sor.iterations);
  assert.ok(maxAbsDiff(gs.images, ref[0]!.out) <= 1e-5 && maxAbsDiff(sor.images, ref[0]!.out) <= 1e-6);
  for (const t of [m1, x1, m2, x2, gs.images, sor.images]) t.dispose();
});

test('smoothFill border rule by hand, float32, and the 12x12 hole on 28x28', () => {
  // 3x3 image, hole = the top-left corner and the middle of the bottom edge.
  const x = torch.tensor([[0, 2, 9], [4, 9, 9], [1, -1, 5]], { dtype: 'float64' }).reshape([1, 1, 3, 3]);
  const m = torch.tensor([[1, 0, 0], [0, 0, 0], [0, 1, 0]], { dtype: 'float32' }).reshape([1, 1, 3, 3]);
  const out = smoothFill(x, m, { tol: 1e-12 }).toNumbers();
  assert.ok(Math.abs(out[0]! - (2 + 4) / 2) < 1e-10, `corner: mean of its 2 in-image neighbours, got ${out[0]}`);
  assert.ok(Math.abs(out[7]! - (1 + 9 + 5) / 3) < 1e-10, `edge: mean of its 3 in-image neighbours, got ${out[7]}`);
  // float32 images come back float32, valid pixels untouched.
  torch.manualSeed(4);
  const m28 = rectMasks(28, 28, [[[8, 8, 12, 12]], [[8, 8, 12, 12]]]).keep();
  const x28 = images([2, 1, 28, 28], m28, 0, 'float32');
  const r = harmonicFill(x28, m28);
  assert.equal(r.images.dtype, 'float32');
  assertValidUnchanged(r.images, x28, m28, 'smoothFill float32');
  console.log(`12x12 hole in 28x28 (tol 1e-6): ${r.iterations} SOR sweeps`);
  assert.ok(r.iterations < 100);
  // The filled values stay within the range of the boundary (maximum principle).
  const inside = torch.tidy(() => r.images.masked_select(m28.ne(0)).toNumbers());
  const border = torch.tidy(() => x28.masked_select(m28.eq(0)).toNumbers());
  assert.ok(Math.min(...inside) >= Math.min(...border) - 1e-6 && Math.max(...inside) <= Math.max(...border) + 1e-6);
  // Running out of sweeps: harmonicFill reports, smoothFill throws.
  const few = harmonicFill(x28, m28, { maxIterations: 2 });
  assert.equal(few.converged, false);
  assert.equal(few.iterations, 2);
  few.images.dispose();
  assert.throws(() => smoothFill(x28, m28, { maxIterations: 2 }), (e: unknown) => e instanceof InpaintingError && /not converged after 2 sweeps/.test(e.message));
  for (const t of [x, m, m28, x28, r.images]) t.dispose();
});

test('nearestTrainingFill matches a brute-force numpy search on the valid pixels (chunked)', () => {
  torch.manualSeed(3);
  const [n, c, h, w] = [300, 2, 10, 12];
  const train = torch.rand([n, c, h, w], { dtype: 'float64' }).keep();
  const b = 23;
  const perImage: Rect[][] = [];
  for (let i = 0; i < b; i++) perImage.push(i % 4 === 0 ? [[0, 0, 4, 5]] : i % 4 === 1 ? [[3, 3, 5, 6], [0, 10, 10, 2]] : i % 4 === 2 ? [[2, 2, 6, 8]] : []);
  const masks = rectMasks(h, w, perImage).keep();
  // Queries: noisy copies of training images (holes filled with junk), so there is a clear nearest.
  const x = torch.tidy(() => {
    const src = train.index_select(0, torch.randint(0, n, [b], { dtype: 'int64' }));
    return src.add(torch.randn([b, c, h, w], { dtype: 'float64' }).mul(0.15)).masked_fill(masks.ne(0), 100);
  }).keep();
  const ref = oracle([{ kind: 'nearest', x, m: masks, t: train }])[0]!;
  for (const opts of [{ chunkSize: 37, batchSize: 5, candidates: 3 }, {}, { chunkSize: 1000, candidates: 1 }]) {
    const r = nearestTrainingFill(x, masks, train, opts);
    assert.deepEqual(r.indices, ref.indices, `indices with ${JSON.stringify(opts)}`);
    r.distances.forEach((d, i) => assert.ok(Math.abs(d - ref.distances![i]!) <= 1e-9 * Math.max(1, d), `distance ${i}: ${d} vs ${ref.distances![i]}`));
    assert.ok(maxAbsDiff(r.images, ref.out) === 0, 'filled images');
    assertValidUnchanged(r.images, x, masks, 'nearestTrainingFill');
    r.images.dispose();
  }
  // float32 images and training set: same choices.
  const x32 = x.float().keep();
  const t32 = train.float().keep();
  const r32 = nearestTrainingFill(x32, masks, t32, { chunkSize: 64 });
  assert.deepEqual(r32.indices, ref.indices);
  assert.equal(r32.images.dtype, 'float32');
  assertValidUnchanged(r32.images, x32, masks, 'nearestTrainingFill float32');
  for (const t of [train, masks, x, x32, t32, r32.images]) t.dispose();
});

test('nearestTrainingFill: only valid pixels count; exact ties go to the lowest index', () => {
  // Query 0 equals training image 1 off the hole; training image 0 equals the query everywhere
  // except on one valid pixel, where it is off by 0.5, but matches the hole contents exactly.
  const base = torch.linspace(0, 1, 16, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
  const hole = [5, 6, 9, 10]; // the centre 2x2
  const mask = withValue(torch.zeros([1, 1, 4, 4]), hole, 1);
  const holeMask = mask.ne(0);
  const query = base.masked_fill(holeMask, 0.9);
  const t1 = base.masked_fill(holeMask, -5); // equal on valid pixels, far on the hole
  const t0 = withValue(query, [15], 0.5 + 15 / 15); // exact on the hole, off by 0.5 on one valid pixel
  const t2 = t1.clone(); // exact duplicate of t1: tie, index 1 wins
  const train = torch.cat([t0, t1, t2], 0);
  const r = nearestTrainingFill(query, mask, train);
  assert.deepEqual(r.indices, [1]);
  assert.equal(r.distances[0], 0);
  const filled = r.images.masked_select(holeMask).toNumbers();
  assert.deepEqual(filled, [-5, -5, -5, -5]);
  // Reversed duplicates: [t0, t2, t1] still picks index 1.
  assert.deepEqual(nearestTrainingFill(query, mask, torch.cat([t0, t2, t1], 0), { candidates: 2 }).indices, [1]);
});

test('baselines reject bad inputs with clear errors', () => {
  const bad = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof InpaintingError && re.test(e.message), String(re));
  const x = torch.rand([2, 1, 6, 6]).keep();
  const m = rectMasks(6, 6, [[[1, 1, 2, 2]], [[0, 0, 3, 3]]]).keep();
  const train = torch.rand([5, 1, 6, 6]).keep();
  for (const [name, fn] of [
    ['meanFill', (a: Tensor, b: Tensor) => meanFill(a, b)],
    ['smoothFill', (a: Tensor, b: Tensor) => smoothFill(a, b)],
    ['nearestTrainingFill', (a: Tensor, b: Tensor) => nearestTrainingFill(a, b, train).images],
  ] as const) {
    bad(() => fn(x, torch.rand([2, 1, 6, 5])), new RegExp(`^${name}: masks must have shape \\[2, 1, 6, 6\\].*got \\[2, 1, 6, 5\\]`));
    bad(() => fn(x, torch.rand([3, 1, 6, 6]).round()), /masks must have shape \[2, 1, 6, 6\]/);
    bad(() => fn(x, m.reshape([2, 6, 6])), /got \[2, 6, 6\]\. Use masks\.unsqueeze\(1\)/);
    bad(() => fn(x, m.mul(0.5)), /masks must hold only 0 \(valid\) and 1 \(hole\)/);
    bad(() => fn(x, m.add(torch.full([2, 1, 6, 6], NaN))), /masks must hold only 0/);
    bad(() => fn(x.reshape([2, 6, 6]), m), /images must be a batch \[B, C, H, W\], got shape \[2, 6, 6\]/);
    bad(() => fn(x.mul(255).to('uint8'), m), /images must be floating point, got uint8\. Convert 8-bit pixels first/);
    bad(() => fn(x, torch.ones([2, 1, 6, 6])), /an image is all hole/);
    bad(() => fn(withValue(x, [35], NaN), m), /NaN or infinite values at valid pixels/);
  }
  // NaN in a hole is fine.
  const nanHole = withValue(x, [7], NaN);
  assert.equal(meanFill(nanHole, m).isnan().any().item(), false);
  // Bool masks are accepted.
  assert.deepEqual(meanFill(x, m.ne(0)).shape, [2, 1, 6, 6]);
  bad(() => nearestTrainingFill(x, m, torch.rand([5, 1, 6, 5])), /train must be images \[N, 1, 6, 6\]/);
  bad(() => nearestTrainingFill(x, m, train.mul(255).to('uint8')), /train must be floating point.*train\.float\(\)\.div\(255\)/);
  bad(() => nearestTrainingFill(x, m, torch.rand([0, 1, 6, 6])), /train is empty/);
  bad(() => nearestTrainingFill(x, m, withValue(train, [3 * 36 + 4], NaN)), /train has NaN or infinite values/);
  bad(() => nearestTrainingFill(x, m, train, { chunkSize: 0 }), /chunkSize must be an integer >= 1/);
  bad(() => smoothFill(x, m, { omega: 2 }), /omega must be in \(0, 2\)/);
  bad(() => smoothFill(x, m, { tol: 0 }), /tol must be a finite number > 0/);
  for (const t of [x, m, train]) t.dispose();
});
