// Image transforms on channel-first typed arrays, in plain TypeScript (no libtorch), so that they run
// in worker threads. Each transform is a plain, serialisable description ({ kind, ...parameters });
// applyTransform() interprets it. Random transforms (augmentations) draw from an Rng passed per
// sample, so results depend only on the sample's seed. compose([...]) chains them; .eval() drops the
// augmentations for validation and test.

import { DataError, type Image } from './types.js';
import type { Rng } from './random.js';

export type Interpolation = 'nearest' | 'bilinear';
export type Range = [number, number];

export type TransformSpec =
  | { kind: 'toFloat' }
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'resize'; size: [number, number] }
  | { kind: 'centerCrop'; size: [number, number] }
  | { kind: 'randomHorizontalFlip'; p: number }
  | { kind: 'randomVerticalFlip'; p: number }
  | { kind: 'randomRotation'; degrees: Range; interpolation: Interpolation; fill: number }
  | { kind: 'randomAffine'; degrees: Range; translate: [number, number]; scale: Range; interpolation: Interpolation; fill: number }
  | { kind: 'randomResizedCrop'; size: [number, number]; scale: Range; ratio: Range }
  | { kind: 'colorJitter'; brightness: Range; contrast: Range; saturation: Range }
  | { kind: 'gaussianNoise'; mean: number; std: number }
  | { kind: 'randomErasing'; p: number; scale: Range; ratio: Range; value: number | number[] | 'random' };

export type TransformKind = TransformSpec['kind'];

const AUGMENTATIONS: ReadonlySet<TransformKind> = new Set<TransformKind>([
  'randomHorizontalFlip', 'randomVerticalFlip', 'randomRotation', 'randomAffine', 'randomResizedCrop',
  'colorJitter', 'gaussianNoise', 'randomErasing',
]);

/** Whether a transform is random (an augmentation, dropped in eval mode). */
export function isAugmentation(t: TransformSpec): boolean {
  return AUGMENTATIONS.has(t.kind);
}

// ---------------------------------------------------------------- argument checks

function fail(what: string, msg: string): never {
  throw new DataError(`${what}: ${msg}`);
}
function checkSize(what: string, size: number | [number, number]): [number, number] {
  const s: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!Array.isArray(size) && typeof size !== 'number') fail(what, 'size must be a number or [height, width]');
  if (Array.isArray(size) && size.length !== 2) fail(what, `size must be [height, width], got [${size.join(', ')}]`);
  for (const v of s) if (!Number.isInteger(v) || v <= 0) fail(what, `size must be positive integers, got [${s.join(', ')}]`);
  return s;
}
function checkProb(what: string, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail(what, `p must be a probability in [0, 1], got ${p}`);
  return p;
}
function checkRange(what: string, name: string, r: Range, min = -Infinity): Range {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) fail(what, `${name} must be [min, max] of finite numbers, got ${JSON.stringify(r)}`);
  if (r[0] > r[1]) fail(what, `${name} must be [min, max] with min <= max, got [${r[0]}, ${r[1]}]`);
  if (r[0] < min) fail(what, `${name} must be >= ${min}, got [${r[0]}, ${r[1]}]`);
  return [r[0], r[1]];
}
function degreesRange(what: string, degrees: number | Range): Range {
  if (typeof degrees === 'number') {
    if (!(degrees >= 0)) fail(what, `degrees must be >= 0 (a range [-d, d]) or [min, max], got ${degrees}`);
    return [-degrees, degrees];
  }
  return checkRange(what, 'degrees', degrees);
}
/** torchvision's jitter factor range: a number f gives [max(0, 1 - f), 1 + f]. */
function jitterRange(what: string, name: string, v: number | Range | undefined): Range {
  if (v === undefined) return [1, 1];
  if (typeof v === 'number') {
    if (!(v >= 0)) fail(what, `${name} must be >= 0, got ${v}`);
    return [Math.max(0, 1 - v), 1 + v];
  }
  return checkRange(what, name, v, 0);
}

// ---------------------------------------------------------------- factories

/** uint8 0-255 to float32 0-1; float32 images pass unchanged. */
export function toFloat(): TransformSpec {
  return { kind: 'toFloat' };
}
/** (x - mean[c]) / std[c] per channel, on float32 images (apply toFloat first). */
export function normalize(mean: number[], std: number[]): TransformSpec {
  const what = 'normalize()';
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length === 0 || mean.length !== std.length) fail(what, `mean and std must be non-empty arrays of the same length, got ${JSON.stringify(mean)} and ${JSON.stringify(std)}`);
  if (std.some((s) => !(s > 0))) fail(what, `std must be positive, got [${std.join(', ')}]`);
  return { kind: 'normalize', mean: [...mean], std: [...std] };
}
/** Bilinear resize to [height, width], as F.interpolate(mode='bilinear', align_corners=False) (no antialias). */
export function resize(size: number | [number, number]): TransformSpec {
  return { kind: 'resize', size: checkSize('resize()', size) };
}
/** The central [height, width] region (zero-padded where the image is smaller), as torchvision's CenterCrop. */
export function centerCrop(size: number | [number, number]): TransformSpec {
  return { kind: 'centerCrop', size: checkSize('centerCrop()', size) };
}
export function randomHorizontalFlip(p = 0.5): TransformSpec {
  return { kind: 'randomHorizontalFlip', p: checkProb('randomHorizontalFlip()', p) };
}
export function randomVerticalFlip(p = 0.5): TransformSpec {
  return { kind: 'randomVerticalFlip', p: checkProb('randomVerticalFlip()', p) };
}
export interface WarpOptions {
  interpolation?: Interpolation;
  /** value of pixels that come from outside the image (in the image's units), default 0 */
  fill?: number;
}
function warpOpts(what: string, o: WarpOptions): { interpolation: Interpolation; fill: number } {
  const interpolation = o.interpolation ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') fail(what, `interpolation must be 'nearest' or 'bilinear', got '${String(interpolation)}'`);
  const fill = o.fill ?? 0;
  if (typeof fill !== 'number' || !Number.isFinite(fill)) fail(what, `fill must be a number, got ${String(fill)}`);
  return { interpolation, fill };
}
/** Rotation about the centre by an angle uniform in [-d, d] (or [min, max]) degrees, counter-clockwise. */
export function randomRotation(degrees: number | Range, opts: WarpOptions = {}): TransformSpec {
  const what = 'randomRotation()';
  return { kind: 'randomRotation', degrees: degreesRange(what, degrees), ...warpOpts(what, opts) };
}
export interface AffineOptions extends WarpOptions {
  /** rotation, as randomRotation; default 0 */
  degrees?: number | Range;
  /** largest shift as fractions of [width, height]: dx uniform in [-a*W, a*W] */
  translate?: [number, number];
  /** scale factor range, default [1, 1] */
  scale?: Range;
}
/** Random rotation, translation and scaling about the centre (torchvision's RandomAffine without shear). */
export function randomAffine(opts: AffineOptions): TransformSpec {
  const what = 'randomAffine()';
  const translate = opts.translate ?? [0, 0];
  if (!Array.isArray(translate) || translate.length !== 2 || translate.some((v) => !(v >= 0 && v <= 1))) fail(what, `translate must be [fx, fy] with fractions in [0, 1], got ${JSON.stringify(translate)}`);
  const scale = checkRange(what, 'scale', opts.scale ?? [1, 1], 0);
  if (scale[0] <= 0) fail(what, `scale must be positive, got [${scale.join(', ')}]`);
  return { kind: 'randomAffine', degrees: degreesRange(what, opts.degrees ?? 0), translate: [translate[0], translate[1]], scale, ...warpOpts(what, opts) };
}
/** torchvision's RandomResizedCrop: a random region of random area and aspect, resized (bilinear) to size. In eval mode it becomes resize(size). */
export function randomResizedCrop(size: number | [number, number], opts: { scale?: Range; ratio?: Range } = {}): TransformSpec {
  const what = 'randomResizedCrop()';
  const scale = checkRange(what, 'scale', opts.scale ?? [0.08, 1], 0);
  const ratio = checkRange(what, 'ratio', opts.ratio ?? [3 / 4, 4 / 3], 0);
  if (scale[1] <= 0 || scale[1] > 1) fail(what, `scale must lie in (0, 1], got [${scale.join(', ')}]`);
  if (ratio[0] <= 0) fail(what, `ratio must be positive, got [${ratio.join(', ')}]`);
  return { kind: 'randomResizedCrop', size: checkSize(what, size), scale, ratio };
}
/** Random brightness, contrast and saturation factors (each f gives [max(0, 1-f), 1+f]), applied in that order; values clamp to [0, 1] (float) or [0, 255] (uint8). Apply before normalize. */
export function colorJitter(opts: { brightness?: number | Range; contrast?: number | Range; saturation?: number | Range }): TransformSpec {
  const what = 'colorJitter()';
  return {
    kind: 'colorJitter',
    brightness: jitterRange(what, 'brightness', opts.brightness),
    contrast: jitterRange(what, 'contrast', opts.contrast),
    saturation: jitterRange(what, 'saturation', opts.saturation),
  };
}
/** Adds N(mean, std^2) noise to every value of a float32 image. */
export function gaussianNoise(std: number, opts: { mean?: number } = {}): TransformSpec {
  const what = 'gaussianNoise()';
  if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std)) fail(what, `std must be a finite number >= 0, got ${std}`);
  const mean = opts.mean ?? 0;
  if (!Number.isFinite(mean)) fail(what, `mean must be finite, got ${mean}`);
  return { kind: 'gaussianNoise', mean, std };
}
/** torchvision's RandomErasing: with probability p, a random rectangle is set to value (a number, one per channel, or 'random' normal noise). */
export function randomErasing(opts: { p?: number; scale?: Range; ratio?: Range; value?: number | number[] | 'random' } = {}): TransformSpec {
  const what = 'randomErasing()';
  const scale = checkRange(what, 'scale', opts.scale ?? [0.02, 0.33], 0);
  const ratio = checkRange(what, 'ratio', opts.ratio ?? [0.3, 3.3], 0);
  if (scale[1] > 1) fail(what, `scale must lie in [0, 1], got [${scale.join(', ')}]`);
  if (ratio[0] <= 0) fail(what, `ratio must be positive, got [${ratio.join(', ')}]`);
  const value = opts.value ?? 0;
  if (!(typeof value === 'number' || value === 'random' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number')))) fail(what, `value must be a number, an array of numbers (one per channel) or 'random', got ${JSON.stringify(value)}`);
  return { kind: 'randomErasing', p: checkProb(what, opts.p ?? 0.5), scale, ratio, value: Array.isArray(value) ? [...value] : value };
}

// ---------------------------------------------------------------- helpers

function checkImage(img: Image, what: string): void {
  const { channels: c, height: h, width: w, data } = img;
  if (!(data instanceof Uint8Array || data instanceof Float32Array)) fail(what, 'image data must be a Uint8Array or a Float32Array');
  if (!(Number.isInteger(c) && c > 0 && Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0)) fail(what, `bad image shape ${c}x${h}x${w}`);
  if (data.length !== c * h * w) fail(what, `image data has ${data.length} values, ${c}x${h}x${w} needs ${c * h * w}`);
}

function alloc(like: Image, n: number): Uint8Array | Float32Array {
  return like.data instanceof Uint8Array ? new Uint8Array(n) : new Float32Array(n);
}
/** Stores a float value into an array of the image's type (uint8: rounded and clamped to 0-255). */
function storeFor(data: Uint8Array | Float32Array): (out: Uint8Array | Float32Array, i: number, v: number) => void {
  if (data instanceof Uint8Array) return (out, i, v) => { out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); };
  return (out, i, v) => { out[i] = v; };
}
function maxValue(img: Image): number {
  return img.data instanceof Uint8Array ? 255 : 1;
}

/** Python's round(): halves to even (torchvision computes crop offsets with it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The region [top, top+h) x [left, left+w); outside the image is 0. */
export function crop(img: Image, top: number, left: number, h: number, w: number): Image {
  const { channels: C, height: H, width: W, data } = img;
  const out = alloc(img, C * h * w);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < h; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= H) continue;
      const x0 = Math.max(0, -left);
      const x1 = Math.min(w, W - left);
      if (x1 <= x0) continue;
      const src = c * H * W + sy * W + left;
      out.set(data.subarray(src + x0, src + x1), c * h * w + y * w + x0);
    }
  }
  return { data: out, channels: C, height: h, width: w };
}

/** Bilinear resize, align_corners=False, no antialias: PyTorch's F.interpolate(mode='bilinear'). */
export function resizeBilinear(img: Image, outH: number, outW: number): Image {
  const { channels: C, height: H, width: W, data } = img;
  if (H === outH && W === outW) return { ...img, data: data.slice() };
  const axis = (inN: number, outN: number) => {
    const scale = inN / outN;
    const i0 = new Int32Array(outN), i1 = new Int32Array(outN), l1 = new Float64Array(outN);
    for (let o = 0; o < outN; o++) {
      let src = (o + 0.5) * scale - 0.5;
      if (src < 0) src = 0;
      const f = Math.min(Math.floor(src), inN - 1);
      i0[o] = f;
      i1[o] = Math.min(f + 1, inN - 1);
      l1[o] = src - f;
    }
    return { i0, i1, l1 };
  };
  const ys = axis(H, outH), xs = axis(W, outW);
  const out = alloc(img, C * outH * outW);
  const store = storeFor(data);
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < outH; y++) {
      const r0 = base + ys.i0[y]! * W, r1 = base + ys.i1[y]! * W, ly = ys.l1[y]!, hy = 1 - ly;
      const o = c * outH * outW + y * outW;
      for (let x = 0; x < outW; x++) {
        const a = xs.i0[x]!, b = xs.i1[x]!, lx = xs.l1[x]!, hx = 1 - lx;
        const v = hy * (hx * data[r0 + a]! + lx * data[r0 + b]!) + ly * (hx * data[r1 + a]! + lx * data[r1 + b]!);
        store(out, o + x, v);
      }
    }
  }
  return { data: out, channels: C, height: outH, width: outW };
}

function flip(img: Image, horizontal: boolean): Image {
  const { channels: C, height: H, width: W, data } = img;
  const out = alloc(img, data.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const sy = horizontal ? y : H - 1 - y;
      const src = c * H * W + sy * W, dst = c * H * W + y * W;
      if (horizontal) for (let x = 0; x < W; x++) out[dst + x] = data[src + W - 1 - x]!;
      else out.set(data.subarray(src, src + W), dst);
    }
  }
  return { data: out, channels: C, height: H, width: W };
}

/**
 * Inverse-mapped affine warp about the centre: rotation by `angle` degrees counter-clockwise, scaling
 * by `scale`, then a shift of (tx, ty) pixels. Pixels mapped from outside the image get `fill`.
 */
export function affine(img: Image, angle: number, tx: number, ty: number, scale: number, interpolation: Interpolation, fill: number): Image {
  const { channels: C, height: H, width: W, data } = img;
  const out = alloc(img, data.length);
  const store = storeFor(data);
  const rad = (angle * Math.PI) / 180;
  const cos = Math.cos(rad) / scale, sin = Math.sin(rad) / scale;
  const cx = (W - 1) / 2, cy = (H - 1) / 2;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - cx - tx, dy = y - cy - ty;
      const sx = cx + cos * dx - sin * dy;
      const sy = cy + sin * dx + cos * dy;
      const o = y * W + x;
      if (interpolation === 'nearest') {
        const ix = Math.round(sx), iy = Math.round(sy);
        const inside = ix >= 0 && ix < W && iy >= 0 && iy < H;
        for (let c = 0; c < C; c++) store(out, c * H * W + o, inside ? data[c * H * W + iy * W + ix]! : fill);
      } else {
        const x0 = Math.floor(sx), y0 = Math.floor(sy), lx = sx - x0, ly = sy - y0;
        for (let c = 0; c < C; c++) {
          const base = c * H * W;
          const at = (yy: number, xx: number) => (xx >= 0 && xx < W && yy >= 0 && yy < H ? data[base + yy * W + xx]! : fill);
          const v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x0 + 1)) + ly * ((1 - lx) * at(y0 + 1, x0) + lx * at(y0 + 1, x0 + 1));
          store(out, base + o, v);
        }
      }
    }
  }
  return { data: out, channels: C, height: H, width: W };
}

/** Grayscale of each pixel (ITU-R 601 luma for 3 channels, the channel itself for 1). */
function grayscale(img: Image): Float64Array {
  const { channels: C, height: H, width: W, data } = img;
  const n = H * W;
  const g = new Float64Array(n);
  if (C === 3) for (let i = 0; i < n; i++) g[i] = 0.299 * data[i]! + 0.587 * data[n + i]! + 0.114 * data[2 * n + i]!;
  else for (let i = 0; i < n; i++) g[i] = data[i]!;
  return g;
}

function blend(img: Image, factor: number, other: (c: number, i: number) => number): Image {
  const { channels: C, height: H, width: W, data } = img;
  const n = H * W, max = maxValue(img);
  const out = alloc(img, data.length);
  const store = storeFor(data);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < n; i++) {
      let v = factor * data[c * n + i]! + (1 - factor) * other(c, i);
      if (v < 0) v = 0;
      else if (v > max) v = max;
      store(out, c * n + i, v);
    }
  }
  return { data: out, channels: C, height: H, width: W };
}

function eraseBox(H: number, W: number, scale: Range, ratio: Range, rng: Rng): [number, number, number, number] | null {
  const area = H * W;
  const logr: Range = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logr[0], logr[1]));
    const h = Math.round(Math.sqrt(target * aspect));
    const w = Math.round(Math.sqrt(target / aspect));
    if (!(h < H && w < W) || h <= 0 || w <= 0) continue;
    return [rng.int(0, H - h + 1), rng.int(0, W - w + 1), h, w];
  }
  return null;
}

function resizedCropBox(H: number, W: number, scale: Range, ratio: Range, rng: Rng): [number, number, number, number] {
  const area = H * W;
  const logr: Range = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logr[0], logr[1]));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) return [rng.int(0, H - h + 1), rng.int(0, W - w + 1), h, w];
  }
  // fallback: the central crop whose aspect is clamped into the ratio range
  const inRatio = W / H;
  let w: number, h: number;
  if (inRatio < ratio[0]) { w = W; h = Math.round(w / ratio[0]); }
  else if (inRatio > ratio[1]) { h = H; w = Math.round(h * ratio[1]); }
  else { w = W; h = H; }
  return [Math.floor((H - h) / 2), Math.floor((W - w) / 2), h, w];
}

function needRng(rng: Rng | undefined, kind: string): Rng {
  if (rng === undefined) throw new DataError(`${kind} is an augmentation and needs a random generator: apply(image, rng)`);
  return rng;
}
function needFloat(img: Image, kind: string): void {
  if (!(img.data instanceof Float32Array)) throw new DataError(`${kind} works on float32 images; put toFloat() before it`);
}

// ---------------------------------------------------------------- apply

/** Applies one transform; returns a new image (the input is never modified). */
export function applyTransform(t: TransformSpec, img: Image, rng?: Rng): Image {
  checkImage(img, t.kind);
  const { channels: C, height: H, width: W, data } = img;
  switch (t.kind) {
    case 'toFloat': {
      if (data instanceof Float32Array) return img;
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
      return { data: out, channels: C, height: H, width: W };
    }
    case 'normalize': {
      needFloat(img, 'normalize');
      if (t.mean.length !== C && t.mean.length !== 1) throw new DataError(`normalize: ${t.mean.length} means for an image of ${C} channels`);
      const n = H * W;
      const out = new Float32Array(data.length);
      for (let c = 0; c < C; c++) {
        const m = t.mean.length === 1 ? t.mean[0]! : t.mean[c]!, s = t.std.length === 1 ? t.std[0]! : t.std[c]!;
        for (let i = c * n; i < (c + 1) * n; i++) out[i] = (data[i]! - m) / s;
      }
      return { data: out, channels: C, height: H, width: W };
    }
    case 'resize':
      return resizeBilinear(img, t.size[0], t.size[1]);
    case 'centerCrop': {
      const [h, w] = t.size;
      return crop(img, roundHalfEven((H - h) / 2), roundHalfEven((W - w) / 2), h, w);
    }
    case 'randomHorizontalFlip':
      return needRng(rng, t.kind).bernoulli(t.p) ? flip(img, true) : img;
    case 'randomVerticalFlip':
      return needRng(rng, t.kind).bernoulli(t.p) ? flip(img, false) : img;
    case 'randomRotation': {
      const angle = needRng(rng, t.kind).uniform(t.degrees[0], t.degrees[1]);
      return affine(img, angle, 0, 0, 1, t.interpolation, t.fill);
    }
    case 'randomAffine': {
      const r = needRng(rng, t.kind);
      const angle = r.uniform(t.degrees[0], t.degrees[1]);
      const mx = t.translate[0] * W, my = t.translate[1] * H;
      const tx = Math.round(r.uniform(-mx, mx)), ty = Math.round(r.uniform(-my, my));
      const s = r.uniform(t.scale[0], t.scale[1]);
      return affine(img, angle, tx, ty, s, t.interpolation, t.fill);
    }
    case 'randomResizedCrop': {
      const [top, left, h, w] = resizedCropBox(H, W, t.scale, t.ratio, needRng(rng, t.kind));
      return resizeBilinear(crop(img, top, left, h, w), t.size[0], t.size[1]);
    }
    case 'colorJitter': {
      const r = needRng(rng, t.kind);
      const b = r.uniform(t.brightness[0], t.brightness[1]);
      const c = r.uniform(t.contrast[0], t.contrast[1]);
      const s = r.uniform(t.saturation[0], t.saturation[1]);
      let out = img;
      if (b !== 1) out = blend(out, b, () => 0);
      if (c !== 1) {
        const g = grayscale(out);
        let mean = 0;
        for (let i = 0; i < g.length; i++) mean += g[i]!;
        mean /= g.length;
        out = blend(out, c, () => mean);
      }
      if (s !== 1 && C === 3) {
        const g = grayscale(out);
        out = blend(out, s, (_c, i) => g[i]!);
      }
      return out === img ? { ...img, data: data.slice() } : out;
    }
    case 'gaussianNoise': {
      needFloat(img, 'gaussianNoise');
      const r = needRng(rng, t.kind);
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data[i]! + t.mean + t.std * r.normal();
      return { data: out, channels: C, height: H, width: W };
    }
    case 'randomErasing': {
      const r = needRng(rng, t.kind);
      if (!r.bernoulli(t.p)) return img;
      const box = eraseBox(H, W, t.scale, t.ratio, r);
      if (box === null) return img;
      const [top, left, h, w] = box;
      if (Array.isArray(t.value) && t.value.length !== C && t.value.length !== 1) throw new DataError(`randomErasing: ${t.value.length} values for an image of ${C} channels`);
      if (t.value === 'random') needFloat(img, "randomErasing with value 'random'");
      const out = data.slice();
      const store = storeFor(data);
      for (let c = 0; c < C; c++) {
        const v = typeof t.value === 'number' ? t.value : Array.isArray(t.value) ? t.value[t.value.length === 1 ? 0 : c]! : 0;
        for (let y = top; y < top + h; y++) {
          for (let x = left; x < left + w; x++) store(out, c * H * W + y * W + x, t.value === 'random' ? r.normal() : v);
        }
      }
      return { data: out, channels: C, height: H, width: W };
    }
    default: {
      const k = (t as { kind?: unknown }).kind;
      throw new DataError(`unknown transform '${String(k)}'`);
    }
  }
}

/** Applies a list of transforms in order. */
export function applyTransforms(ts: readonly TransformSpec[], img: Image, rng?: Rng): Image {
  let out = img;
  for (let i = 0; i < ts.length;) {
    const fused = applyFused(ts, i, out, rng);
    if (fused !== null) {
      out = fused.image;
      i = fused.next;
    } else out = applyTransform(ts[i++]!, out, rng);
  }
  return out;
}

function validImage(img: Image): boolean {
  const { channels: c, height: h, width: w, data } = img;
  return (data instanceof Uint8Array || data instanceof Float32Array) && Number.isInteger(c) && c > 0 && Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0 && data.length === c * h * w;
}

// scratch tables of the fused path, grown as needed (each thread has its own module instance)
let axisI0 = new Int32Array(0), axisI1 = new Int32Array(0), axisL1 = new Float64Array(0), rowsScratch = new Float64Array(0);

/**
 * Bilinear source indices and weights for one output axis, as resizeBilinear computes them, shifted by
 * `offset`, into the scratch tables from `at` (read backwards when `flip`).
 */
function bilinearAxis(inN: number, outN: number, offset: number, at: number, flip: boolean): void {
  const scale = inN / outN;
  for (let o = 0; o < outN; o++) {
    let src = (o + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    const f = Math.min(Math.floor(src), inN - 1);
    const k = at + (flip ? outN - 1 - o : o);
    axisI0[k] = offset + f;
    axisI1[k] = offset + Math.min(f + 1, inN - 1);
    axisL1[k] = src - f;
  }
}

// the value table of the last fused run and what it was made from: [channels, then (mean, std) per
// channel for each normalize after toFloat]
const lutKey: number[] = [];
let lastKey: number[] = [];
let lastLut: Float64Array | undefined;

/**
 * C x 256 float32 values (as doubles): toFloat of each uint8 value, then the normalizes in lutKey,
 * each rounded to float32 as the transforms one by one store them.
 */
function valueTable(C: number): Float64Array {
  if (lastLut !== undefined && lastKey.length === lutKey.length && lastKey.every((v, k) => Object.is(v, lutKey[k]))) return lastLut;
  const lut = new Float64Array(C * 256);
  for (let c = 0; c < C; c++) for (let u = 0; u < 256; u++) lut[c * 256 + u] = Math.fround(u / 255);
  for (let k = 1; k < lutKey.length; k += 2 * C) {
    for (let c = 0; c < C; c++) {
      const m = lutKey[k + 2 * c]!, s = lutKey[k + 2 * c + 1]!;
      for (let u = c * 256; u < (c + 1) * 256; u++) lut[u] = Math.fround((lut[u]! - m) / s);
    }
  }
  lastKey = lutKey.slice();
  lastLut = lut;
  return lut;
}

/**
 * The common uint8 pipeline in one pass: an optional resampling (randomResizedCrop or resize) followed
 * by any run of flips, toFloat and normalize (which commute: flips move pixels, the others map each
 * value by its channel). Draws from rng in the same order as the transforms one by one and gives the
 * same values bit for bit: the resampled value is rounded to uint8 as resizeBilinear does, then mapped
 * through a per-channel table of toFloat's and normalize's float32 results. Returns null where it does
 * not apply (the caller then runs ts[i] alone, which also reports any error as before).
 */
function applyFused(ts: readonly TransformSpec[], i: number, img: Image, rng: Rng | undefined): { image: Image; next: number } | null {
  const { data } = img;
  if (!(data instanceof Uint8Array) || !validImage(img)) return null;
  const { channels: C, height: H, width: W } = img;
  let j = i;
  let top = 0, left = 0, cropH = H, cropW = W, outH = H, outW = W;
  let resample = false;
  const first = ts[j]!;
  if (first.kind === 'randomResizedCrop') {
    [top, left, cropH, cropW] = resizedCropBox(H, W, first.scale, first.ratio, needRng(rng, first.kind));
    [outH, outW] = first.size;
    resample = true;
    j++;
  } else if (first.kind === 'resize') {
    [outH, outW] = first.size;
    resample = true;
    j++;
  }
  let hflip = false, vflip = false;
  // the value maps (toFloat, normalize) are recorded as numbers, and their table reused while they
  // stay the same (every sample of a pipeline has the same ones)
  let float = false;
  lutKey.length = 0;
  lutKey.push(C);
  for (; j < ts.length; j++) {
    const t = ts[j]!;
    if (t.kind === 'randomHorizontalFlip') {
      if (needRng(rng, t.kind).bernoulli(t.p)) hflip = !hflip;
    } else if (t.kind === 'randomVerticalFlip') {
      if (needRng(rng, t.kind).bernoulli(t.p)) vflip = !vflip;
    } else if (t.kind === 'toFloat') {
      float = true;
    } else if (t.kind === 'normalize' && float && (t.mean.length === C || t.mean.length === 1)) {
      for (let c = 0; c < C; c++) lutKey.push(t.mean.length === 1 ? t.mean[0]! : t.mean[c]!, t.std.length === 1 ? t.std[0]! : t.std[c]!);
    } else break;
  }
  const lut = float ? valueTable(C) : undefined;
  if (j === i) return null;
  if (!resample && !hflip && !vflip && !float) return { image: img, next: j }; // flips that did not happen
  const n = outH * outW;
  const out = lut === undefined ? new Uint8Array(C * n) : new Float32Array(C * n);
  if (cropH === outH && cropW === outW) {
    // nothing resampled (resizeBilinear copies): move pixels and map values
    for (let c = 0; c < C; c++) {
      const lutBase = c * 256;
      for (let y = 0; y < outH; y++) {
        const p = c * H * W + (top + (vflip ? outH - 1 - y : y)) * W + left, o = c * n + y * outW;
        if (out instanceof Float32Array) {
          if (hflip) for (let x = 0; x < outW; x++) out[o + x] = lut![lutBase + data[p + outW - 1 - x]!]!;
          else for (let x = 0; x < outW; x++) out[o + x] = lut![lutBase + data[p + x]!]!;
        } else if (hflip) for (let x = 0; x < outW; x++) out[o + x] = data[p + outW - 1 - x]!;
        else out.set(data.subarray(p, p + outW), o);
      }
    }
    return { image: { data: out, channels: C, height: outH, width: outW }, next: j };
  }
  // tables: output columns at [0, outW), output rows at [outW, outW + outH)
  if (axisI0.length < outW + outH) {
    const m = 2 * (outW + outH);
    [axisI0, axisI1, axisL1] = [new Int32Array(m), new Int32Array(m), new Float64Array(m)];
  }
  bilinearAxis(cropW, outW, left, 0, hflip);
  bilinearAxis(cropH, outH, top, outW, vflip);
  // separable, with resizeBilinear's exact arithmetic: each needed source row is interpolated along x
  // once (hx * p[a] + lx * p[b]), then v = hy * row0[x] + ly * row1[x]
  if (rowsScratch.length < cropH * outW) rowsScratch = new Float64Array(2 * cropH * outW);
  const rows = rowsScratch, i0 = axisI0, i1 = axisI1, l1 = axisL1;
  for (let c = 0; c < C; c++) {
    const base = c * H * W, lutBase = c * 256;
    for (let r = 0; r < cropH; r++) {
      const p = base + (top + r) * W, q = r * outW;
      for (let x = 0; x < outW; x++) {
        const lx = l1[x]!;
        rows[q + x] = (1 - lx) * data[p + i0[x]!]! + lx * data[p + i1[x]!]!;
      }
    }
    // uint8 rounding as storeFor: Math.round(v) clamped to 0-255. Below 0.5 that is 0; for
    // 0.5 <= v < 255 it is (v + 0.5) | 0, since the sum is exact or rounds within [2^k, 2^k + 0.5)
    let o = c * n;
    for (let y = 0; y < outH; y++) {
      const q0 = (i0[outW + y]! - top) * outW, q1 = (i1[outW + y]! - top) * outW, ly = l1[outW + y]!, hy = 1 - ly;
      if (out instanceof Float32Array) {
        for (let x = 0; x < outW; x++, o++) {
          const v = hy * rows[q0 + x]! + ly * rows[q1 + x]!;
          out[o] = lut![lutBase + (v < 0.5 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0)]!;
        }
      } else {
        for (let x = 0; x < outW; x++, o++) {
          const v = hy * rows[q0 + x]! + ly * rows[q1 + x]!;
          out[o] = v < 0.5 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
        }
      }
    }
  }
  return { image: { data: out, channels: C, height: outH, width: outW }, next: j };
}

/** Transforms in order; `training` false drops the augmentations (randomResizedCrop becomes resize). */
export class Compose {
  readonly transforms: readonly TransformSpec[];
  readonly training: boolean;

  constructor(transforms: readonly TransformSpec[], training = true) {
    for (const t of transforms) {
      if (t === null || typeof t !== 'object' || typeof (t as { kind?: unknown }).kind !== 'string') throw new DataError(`compose(): expected transform descriptions ({ kind, ... }), got ${JSON.stringify(t)}`);
    }
    this.transforms = Object.freeze([...transforms]);
    this.training = training;
  }
  /** The same pipeline without augmentations, for validation and test. */
  eval(): Compose {
    return new Compose(this.transforms, false);
  }
  /** The same pipeline with augmentations. */
  train(): Compose {
    return new Compose(this.transforms, true);
  }
  /** The transforms that run in this mode. */
  get active(): TransformSpec[] {
    if (this.training) return [...this.transforms];
    const out: TransformSpec[] = [];
    for (const t of this.transforms) {
      if (t.kind === 'randomResizedCrop') out.push({ kind: 'resize', size: t.size });
      else if (!isAugmentation(t)) out.push(t);
    }
    return out;
  }
  /** Whether any transform that runs in this mode is random. */
  get random(): boolean {
    return this.active.some(isAugmentation);
  }
  apply(image: Image, rng?: Rng): Image {
    return applyTransforms(this.active, image, rng);
  }
  toJSON(): { transforms: TransformSpec[]; training: boolean } {
    return { transforms: [...this.transforms], training: this.training };
  }
}

/** Chains transforms (nested Compose lists are flattened). */
export function compose(transforms: readonly (TransformSpec | Compose)[], opts: { training?: boolean } = {}): Compose {
  if (!Array.isArray(transforms)) throw new DataError('compose(): expected an array of transforms');
  const flat: TransformSpec[] = [];
  for (const t of transforms) {
    if (t instanceof Compose) flat.push(...t.transforms);
    else flat.push(t);
  }
  return new Compose(flat, opts.training ?? true);
}

/**
 * Per-channel mean and standard deviation (population) over a set of images, in the units that
 * toFloat() produces (uint8 images are scaled by 1/255): the arguments for normalize(). Compute it on
 * the training set only.
 */
export function normalizationStats(images: Iterable<Image>): { mean: number[]; std: number[] } {
  let channels = -1;
  let sum: Float64Array = new Float64Array(0), sq: Float64Array = new Float64Array(0);
  let count = 0;
  for (const img of images) {
    checkImage(img, 'normalizationStats()');
    if (channels < 0) {
      channels = img.channels;
      sum = new Float64Array(channels);
      sq = new Float64Array(channels);
    } else if (img.channels !== channels) throw new DataError(`normalizationStats(): images have ${channels} and ${img.channels} channels`);
    const n = img.height * img.width;
    const k = img.data instanceof Uint8Array ? 1 / 255 : 1;
    for (let c = 0; c < channels; c++) {
      let s = 0, q = 0;
      for (let i = c * n; i < (c + 1) * n; i++) {
        const v = img.data[i]! * k;
        s += v;
        q += v * v;
      }
      sum[c]! += s;
      sq[c]! += q;
    }
    count += n;
  }
  if (count === 0) throw new DataError('normalizationStats(): no images');
  const mean = [...sum].map((s) => s / count);
  const std = [...sq].map((q, c) => Math.sqrt(Math.max(0, q / count - mean[c]! * mean[c]!)));
  return { mean, std };
}
