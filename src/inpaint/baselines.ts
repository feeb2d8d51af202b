// Inpainting baselines: what a learned inpainting model has to beat. All take a batch of images
// [B, C, H, W] (floating point, e.g. 0-1) and masks [B, 1, H, W] with 1 = hole (missing) and 0 = valid,
// and return the completed images (same shape, dtype and device; valid pixels unchanged bit for bit;
// whatever the images hold in the holes, even NaN, is ignored):
//   meanFill            each image's hole gets the mean of its valid pixels, per channel;
//   smoothFill          the harmonic (Laplace) fill: the smoothest surface that meets the hole's border;
//   nearestTrainingFill the hole is copied from the training image closest on the valid pixels.
// docs/inpainting.md ("Baselines") describes the choices and how they are tested.

import { torch, Tensor } from '../torch/index.js';
import { InpaintingError } from './masks.js';

function shapeOf(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

const REAL_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * Checks images [B, C, H, W] against masks [B, 1, H, W] (values exactly 0 or 1, at least one valid
 * pixel per image, valid pixels finite). Returns [B, C, H, W].
 */
function checkBatch(fn: string, images: unknown, masks: unknown): [number, number, number, number] {
  if (!(images instanceof Tensor)) throw new InpaintingError(`${fn}: images must be a Tensor [B, C, H, W], got ${images === null ? 'null' : typeof images}.`);
  if (!(masks instanceof Tensor)) throw new InpaintingError(`${fn}: masks must be a Tensor [B, 1, H, W], got ${masks === null ? 'null' : typeof masks}.`);
  if (images.isDisposed) throw new InpaintingError(`${fn}: images was already disposed.`);
  if (masks.isDisposed) throw new InpaintingError(`${fn}: masks was already disposed.`);
  if (images.ndim !== 4) {
    const hint = images.ndim === 3 ? ' For one-channel images [B, H, W] use images.unsqueeze(1); for one image [C, H, W] use images.unsqueeze(0).' : '';
    throw new InpaintingError(`${fn}: images must be a batch [B, C, H, W], got shape ${shapeOf(images)}.${hint}`);
  }
  if (!REAL_DTYPES.has(images.dtype)) {
    const hint = images.dtype === 'uint8' ? ' Convert 8-bit pixels first, e.g. images.float().div(255).' : '';
    throw new InpaintingError(`${fn}: images must be floating point, got ${images.dtype}.${hint}`);
  }
  const [b, c, h, w] = images.shape as [number, number, number, number];
  if (masks.ndim !== 4 || masks.shape[0] !== b || masks.shape[1] !== 1 || masks.shape[2] !== h || masks.shape[3] !== w) {
    const hint = masks.ndim === 3 && masks.shape[0] === b && masks.shape[1] === h && masks.shape[2] === w ? ' Use masks.unsqueeze(1).' : '';
    throw new InpaintingError(`${fn}: masks must have shape [${b}, 1, ${h}, ${w}] for images ${shapeOf(images)} (one mask per image, shared by its channels), got ${shapeOf(masks)}.${hint}`);
  }
  if (masks.device !== images.device) {
    throw new InpaintingError(`${fn}: images are on ${String(images.device)} but masks on ${String(masks.device)}. Move them to the same device first.`);
  }
  if (masks.dtype === 'complex64' || masks.dtype === 'complex128') throw new InpaintingError(`${fn}: masks must be real 0/1 values, got ${masks.dtype}.`);
  if (b === 0 || c === 0 || h === 0 || w === 0) return [b, c, h, w];
  const [bad, fewest, finite] = torch.noGrad(() => torch.tidy(() => {
    const hole = masks.ne(0);
    const notBinary = hole.logical_and(masks.ne(1)).any();
    const validCount = hole.logical_not().sum([1, 2, 3]).min();
    const validFinite = images.masked_fill(hole, 0).isfinite().all();
    return torch.stack([notBinary.double(), validCount.double(), validFinite.double()]).toNumbers();
  })) as [number, number, number];
  if (bad !== 0) {
    throw new InpaintingError(`${fn}: masks must hold only 0 (valid) and 1 (hole). Threshold soft masks first, e.g. masks.gt(0.5).float().`);
  }
  if (fewest === 0) {
    throw new InpaintingError(`${fn}: an image is all hole (its mask is 1 everywhere), so there is nothing to fill it from. Every image needs at least one valid (0) pixel.`);
  }
  if (finite === 0) {
    throw new InpaintingError(`${fn}: images have NaN or infinite values at valid pixels (mask 0). Only hole pixels may hold anything.`);
  }
  return [b, c, h, w];
}

/** float64 copy of the images with holes zeroed, the hole mask (bool [B, 1, H, W]) and the per-channel means of the valid pixels [B, C, 1, 1]. */
function validMeans(images: Tensor, masks: Tensor): { x: Tensor; hole: Tensor; mean: Tensor } {
  const hole = masks.ne(0);
  const x = images.double().masked_fill(hole, 0);
  const count = hole.logical_not().sum([2, 3], true).double();
  const mean = x.sum([2, 3], true).div(count);
  return { x, hole, mean };
}

/**
 * Fills each image's hole with the mean of that image's valid pixels, per channel (computed in
 * float64). Valid pixels are unchanged.
 */
export function meanFill(images: Tensor, masks: Tensor): Tensor {
  const [b] = checkBatch('meanFill', images, masks);
  if (b === 0) return images.clone();
  return torch.noGrad(() => torch.tidy(() => {
    const { hole, mean } = validMeans(images, masks);
    return torch.where(hole, mean.to(images.dtype), images);
  }));
}

export interface SmoothFillOptions {
  /** Stop when no hole pixel changed by more than this in the last sweep (default 1e-6, in pixel units). */
  tol?: number;
  /** Give up after this many sweeps (default 10,000): smoothFill throws, harmonicFill reports converged: false. */
  maxIterations?: number;
  /**
   * The over-relaxation factor in (0, 2): 1 is Gauss-Seidel. Default: per image, the optimum for a
   * rectangle as large as the image's longest runs of hole pixels across and down (doubled where a run
   * ends on the image border).
   */
  omega?: number;
}

export interface HarmonicFill {
  /** The completed images [B, C, H, W], in the input's dtype and on its device. */
  images: Tensor;
  /** Sweeps done (each updates every hole pixel once, red then black). */
  iterations: number;
  /** The largest change of a hole pixel in the last sweep. */
  maxChange: number;
  converged: boolean;
}

/** Sum of the 4 in-image neighbours of every pixel (zero padding: outside neighbours add nothing). */
function neighbourSum(u: Tensor, h: number, w: number): Tensor {
  const p = torch.constant_pad_nd(u, [1, 1, 1, 1], 0);
  const up = p.narrow(2, 0, h).narrow(3, 1, w);
  const down = p.narrow(2, 2, h).narrow(3, 1, w);
  const left = p.narrow(2, 1, h).narrow(3, 0, w);
  const right = p.narrow(2, 1, h).narrow(3, 2, w);
  return up.add(down).add(left).add(right);
}

/**
 * The SOR factor per image (see SmoothFillOptions.omega): Young's optimum for a rectangle as tall as
 * the longest vertical run of hole pixels and as wide as the longest horizontal run, a run that ends
 * on the image border counting twice its length (the border is a mirror), one that spans the image
 * not constraining at all. Exact for one rectangular hole; for several holes it is the largest's.
 */
function autoOmega(hole: Tensor, b: number, h: number, w: number): number[] {
  const flags = torch.tidy(() => hole.to('uint8').cpu().contiguous().toArray()) as Uint8Array;
  // Jacobi's spectral radius along one axis for a run of `len` hole pixels between start and end.
  const decay = (len: number, start: boolean, end: boolean): number => {
    if (start && end) return 1;
    return Math.cos(Math.PI / (len * (start || end ? 2 : 1) + 1));
  };
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    const base = i * h * w;
    // the longest hole run along rows (step 1 within a row of w) and along columns (step w within a column of h)
    const longest = (lines: number, len: number, lineStep: number, step: number): number => {
      let best = 0;
      for (let l = 0; l < lines; l++) {
        let run = 0;
        for (let k = 0; k <= len; k++) {
          if (k < len && flags[base + l * lineStep + k * step]) run += 1;
          else if (run > 0) {
            best = Math.max(best, decay(run, k - run === 0, k === len));
            run = 0;
          }
        }
      }
      return best;
    };
    const rx = longest(h, w, w, 1);
    const ry = longest(w, h, 1, w);
    const rho = Math.min((rx + ry) / 2, 0.9999);
    out.push(Math.min(2 / (1 + Math.sqrt(1 - rho * rho)), 1.98));
  }
  return out;
}

/**
 * The harmonic fill with its convergence record; see smoothFill. Does not throw when it runs out of
 * iterations: check `converged`.
 */
export function harmonicFill(images: Tensor, masks: Tensor, opts: SmoothFillOptions = {}): HarmonicFill {
  const tol = opts.tol ?? 1e-6;
  const maxIterations = opts.maxIterations ?? 10_000;
  if (typeof tol !== 'number' || !(tol > 0) || !Number.isFinite(tol)) throw new InpaintingError(`smoothFill: tol must be a finite number > 0, got ${String(tol)}.`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new InpaintingError(`smoothFill: maxIterations must be an integer >= 1, got ${String(maxIterations)}.`);
  if (opts.omega !== undefined && (typeof opts.omega !== 'number' || !(opts.omega > 0 && opts.omega < 2))) {
    throw new InpaintingError(`smoothFill: omega must be in (0, 2) (1 = Gauss-Seidel), got ${String(opts.omega)}.`);
  }
  const [b, , h, w] = checkBatch('smoothFill', images, masks);
  if (b === 0) return { images: images.clone(), iterations: 0, maxChange: 0, converged: true };
  return torch.noGrad(() => torch.tidy(() => {
    const { x, hole, mean } = validMeans(images, masks);
    const dev = images.device;
    // Start from the mean fill; red/black checkerboard halves of the hole, updated in turn.
    let u = torch.where(hole, mean, x);
    const ii = torch.arange(h, { device: dev }).reshape([h, 1]);
    const jj = torch.arange(w, { device: dev }).reshape([1, w]);
    const even = ii.add(jj).remainder(2).eq(0).reshape([1, 1, h, w]);
    const colours = [hole.logical_and(even), hole.logical_and(even.logical_not())];
    const degree = neighbourSum(torch.ones([1, 1, h, w], { dtype: 'float64', device: dev }), h, w);
    const omegas = opts.omega !== undefined ? new Array<number>(b).fill(opts.omega) : autoOmega(hole, b, h, w);
    const omega = torch.tensor(omegas, { dtype: 'float64', device: dev }).reshape([b, 1, 1, 1]);
    let iterations = 0;
    let maxChange = Infinity;
    while (iterations < maxIterations) {
      let change = 0;
      for (const colour of colours) {
        const [next, d] = torch.tidy(() => {
          const target = neighbourSum(u, h, w).div(degree);
          const delta = target.sub(u).mul(omega).masked_fill(colour.logical_not(), 0);
          return [u.add(delta), delta.abs().max()];
        });
        change = Math.max(change, d.item());
        d.dispose();
        u.dispose();
        u = next;
      }
      iterations += 1;
      maxChange = change;
      if (change < tol) break;
    }
    // Valid pixels come from the input itself (bit for bit), the hole from the solution.
    const out = torch.where(hole, u.to(images.dtype), images);
    return { images: out, iterations, maxChange, converged: maxChange < tol };
  }));
}

/**
 * The harmonic (Laplace) fill: the hole pixels solve the discrete Laplace equation, each the mean of
 * its 4 neighbours, with the valid pixels as fixed boundary values. Border rule: only in-image
 * neighbours count, so a hole pixel on the image border is the mean of its 3 (corner: 2) in-image
 * neighbours (a zero-flux, Neumann, condition at the image border). Solved on the whole batch at once
 * in float64 by red-black successive over-relaxation started from meanFill, until no hole pixel moves
 * by more than `tol`; throws if that takes more than `maxIterations` sweeps (harmonicFill reports
 * instead). Every channel is filled independently.
 */
export function smoothFill(images: Tensor, masks: Tensor, opts: SmoothFillOptions = {}): Tensor {
  const r = harmonicFill(images, masks, opts);
  if (!r.converged) {
    r.images.dispose();
    throw new InpaintingError(`smoothFill: not converged after ${r.iterations} sweeps (last change ${r.maxChange.toExponential(2)}, tol ${String(opts.tol ?? 1e-6)}). Raise maxIterations or tol.`);
  }
  return r.images;
}

export interface NearestTrainingFillOptions {
  /** Training images scored per matmul (default 4096). */
  chunkSize?: number;
  /** Images of the batch scored at once (default 1024). */
  batchSize?: number;
  /**
   * Candidates kept per image from the fast float32 scoring, then re-ranked by their exact float64
   * distance (default 8). Guards the choice against float32 rounding between near ties.
   */
  candidates?: number;
}

export interface NearestTrainingFill {
  /** The completed images [B, C, H, W], in the input's dtype and on its device. */
  images: Tensor;
  /** Per image, the index into `train` of the training image used. */
  indices: number[];
  /** Per image, the sum of squared differences to that training image over the valid pixels (all channels). */
  distances: number[];
}

/**
 * For each image, the training image closest in squared distance on the image's valid pixels only
 * (Σ over channels and valid pixels of (x − t)²), whose pixels then fill the hole. `train` is [N, C, H, W]
 * floating point on the same scale as the images (any device; moved chunk by chunk). Scored with chunked
 * float32 matmuls, ‖v∘t‖² − 2⟨v∘x, t⟩ (v the valid mask; the first term once per distinct mask), on the
 * images' device, so 60,000×784 training images and 1,000 queries need ~100 MB of scratch with the
 * default chunks. The best `candidates` per image are then re-ranked in float64 by their exact
 * distance (ties: lowest index, as numpy.argmin).
 */
export function nearestTrainingFill(images: Tensor, masks: Tensor, train: Tensor, opts: NearestTrainingFillOptions = {}): NearestTrainingFill {
  const [b, c, h, w] = checkBatch('nearestTrainingFill', images, masks);
  if (!(train instanceof Tensor)) throw new InpaintingError(`nearestTrainingFill: train must be a Tensor [N, C, H, W], got ${train === null ? 'null' : typeof train}.`);
  if (train.isDisposed) throw new InpaintingError('nearestTrainingFill: train was already disposed.');
  if (train.ndim !== 4 || train.shape[1] !== c || train.shape[2] !== h || train.shape[3] !== w) {
    throw new InpaintingError(`nearestTrainingFill: train must be images [N, ${c}, ${h}, ${w}] like the batch ${shapeOf(images)}, got ${shapeOf(train)}.`);
  }
  if (!REAL_DTYPES.has(train.dtype)) {
    const hint = train.dtype === 'uint8' ? ' Convert 8-bit pixels to the images\' scale first, e.g. train.float().div(255).' : '';
    throw new InpaintingError(`nearestTrainingFill: train must be floating point on the images' scale, got ${train.dtype}.${hint}`);
  }
  const n = train.shape[0]!;
  if (n === 0) throw new InpaintingError('nearestTrainingFill: train is empty.');
  const chunkSize = opts.chunkSize ?? 4096;
  const batchSize = opts.batchSize ?? 1024;
  const kWanted = opts.candidates ?? 8;
  for (const [name, v] of [['chunkSize', chunkSize], ['batchSize', batchSize], ['candidates', kWanted]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InpaintingError(`nearestTrainingFill: ${name} must be an integer >= 1, got ${String(v)}.`);
  }
  if (b === 0) return { images: images.clone(), indices: [], distances: [] };
  const k = Math.min(kWanted, n);
  const p = c * h * w;
  const dev = images.device;
  const indices: number[] = [];
  const distances: number[] = [];
  const filled: Tensor[] = [];
  try {
    for (let s = 0; s < b; s += batchSize) {
      const len = Math.min(batchSize, b - s);
      const part = torch.noGrad(() => torch.tidy(() => {
        const img = images.narrow(0, s, len);
        const hole = masks.narrow(0, s, len).ne(0);
        const v = hole.logical_not().expand([len, c, h, w]).reshape([len, p]);
        // ‖v∘t‖² depends on the mask only: one row per distinct mask of the batch (a shared mask,
        // as in most evaluations, halves the work).
        const [uniq, inverse] = torch.unique_dim(hole.reshape([len, h * w]).to('uint8'), 0, true, true);
        const vU32 = uniq!.eq(0).reshape([-1, 1, h, w]).expand([-1, c, h, w]).reshape([-1, p]).float();
        const vx32 = img.float().masked_fill(hole, 0).reshape([len, p]);
        let bestV: Tensor | null = null;
        let bestI: Tensor | null = null;
        for (let t0 = 0; t0 < n; t0 += chunkSize) {
          const m = Math.min(chunkSize, n - t0);
          const [nv, ni] = torch.tidy(() => {
            const t = train.narrow(0, t0, m).to(dev, 'float32').reshape([m, p]);
            if (!t.isfinite().all().item()) {
              throw new InpaintingError(`nearestTrainingFill: train has NaN or infinite values (in images ${t0}..${t0 + m - 1}).`);
            }
            // ‖v∘t‖² − 2⟨v∘x, t⟩ = ‖v∘(x − t)‖² − ‖v∘x‖², the part that depends on t.
            const score = torch.addmm(vU32.matmul(t.square().mT()).index_select(0, inverse!), vx32, t.mT(), { alpha: -2 });
            const [vals, idx] = score.topk(Math.min(k, m), 1, false);
            const allV = bestV === null ? vals : torch.cat([bestV, vals], 1);
            const allI = bestI === null ? idx.add(t0) : torch.cat([bestI, idx.add(t0)], 1);
            if (allV.shape[1]! <= k) return [allV, allI];
            const [tv, ti] = allV.topk(k, 1, false);
            return [tv, allI.gather(1, ti)];
          });
          bestV?.dispose();
          bestI?.dispose();
          bestV = nv!;
          bestI = ni!;
        }
        // Re-rank the candidates by their exact float64 distance; sorted by index so that argmin's
        // first-minimum rule breaks exact ties towards the lowest index.
        const cand = bestI!.sort(1)[0];
        const kk = cand.shape[1]!;
        const rows = train.index_select(0, cand.reshape([-1]).to(train.device)).to(dev, 'float64').reshape([len, kk, p]);
        const v64 = v.double().reshape([len, 1, p]);
        const x64 = img.double().masked_fill(hole, 0).reshape([len, 1, p]);
        const d = x64.sub(rows.mul(v64)).square().sum(2);
        const pos = d.argmin(1, true);
        const best = cand.gather(1, pos).reshape([len]);
        const bestD = d.gather(1, pos).reshape([len]);
        const fill = train.index_select(0, best.to(train.device)).to(dev, images.dtype);
        const out = torch.where(hole, fill, img);
        indices.push(...best.toNumbers());
        distances.push(...bestD.toNumbers());
        return out;
      }));
      filled.push(part);
    }
  } catch (e) {
    for (const t of filled) t.dispose();
    throw e;
  }
  if (filled.length === 1) return { images: filled[0]!, indices, distances };
  const all = torch.cat(filled, 0);
  for (const t of filled) t.dispose();
  return { images: all, indices, distances };
}
