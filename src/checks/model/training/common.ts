// Shared pieces of the training model checks: saving and restoring every state a check touches
// (the global RNG, the context model's weights, buffers, gradients and train/eval modes), running
// steps, per-layer update ratios, evaluation, and small PNG line plots.

import { PNG } from 'pngjs';
import { torch, type Tensor } from '../../../torch/index.js';
import type * as nn from '../../../nn/index.js';
import type { Optimizer } from '../../../optim/index.js';
import { standardStep } from '../../context.js';
import type { Check, DoctorContext, StepFn } from '../../types.js';
import { defineCheck as define, type Finding } from '../../define.js';

export type { Finding } from '../../define.js';

/**
 * A model check whose body runs with every global state saved and restored afterwards (RNG,
 * ctx.model's parameters, buffers, gradients and modes), and whose exceptions become 'error'.
 */
export function defineCheck(meta: Pick<Check, 'id' | 'title' | 'cost'>, body: (ctx: DoctorContext) => Promise<Finding>): Check {
  return define(meta, body, preserveState);
}

/** Runs fn, then puts back the RNG, ctx.model's weights, buffers, gradients and modes, and grad mode. */
export async function preserveState<T>(ctx: DoctorContext, fn: () => Promise<T>): Promise<T> {
  const rng = torch.getRngState().keep();
  const model = ctx.model;
  const state = torch.tidy(() => Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone().keep()])));
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  const grads = model.parameters().map((p) => {
    const g = p.grad;
    if (g === null) return null;
    const c = torch.tidy(() => g.detach().clone()).keep();
    g.dispose();
    return c;
  });
  const gradEnabled = torch.isGradEnabled();
  try {
    return await fn();
  } finally {
    torch.setGradEnabled(gradEnabled);
    torch.setRngState(rng);
    rng.dispose();
    model.loadStateDict(state, { strict: false });
    for (const v of Object.values(state)) v.dispose();
    for (const [m, t] of modes) m.training = t;
    model.parameters().forEach((p, i) => {
      p.grad = grads[i] ?? null;
      grads[i]?.dispose();
    });
  }
}

/** The user's step, or the standard one. */
export function stepOf(ctx: DoctorContext): StepFn {
  return ctx.step ?? standardStep(ctx);
}

/** A fresh model (train mode) made under a fixed seed, so runs compare like with like. */
export async function freshModel(ctx: DoctorContext, seed: number): Promise<nn.Module> {
  torch.manualSeed(seed);
  const m = await ctx.makeModel();
  m.train();
  return m;
}

/** A new model holding ctx.model's current weights and buffers (to train without touching it). */
export async function copyOfModel(ctx: DoctorContext): Promise<nn.Module> {
  const m = await ctx.makeModel();
  torch.tidy(() => {
    m.loadStateDict(ctx.model.stateDict(), { strict: false });
  });
  m.train();
  return m;
}

/** Turns off every Dropout layer (eval mode for those modules only); returns the undo. */
export function dropoutOff(model: nn.Module): () => void {
  const changed: nn.AnyModule[] = [];
  for (const m of model.modules()) {
    if (/Dropout/.test(m.constructor.name) && m.training) {
      m.training = false;
      changed.push(m);
    }
  }
  return () => {
    for (const m of changed) m.training = true;
  };
}

/** Sets weight decay to 0 in every group that has one; returns what was there. */
export function weightDecayOff(opt: Optimizer): number[] {
  return opt.paramGroups.map((g) => {
    const g2 = g as Record<string, unknown>;
    const wd = typeof g2.weightDecay === 'number' ? g2.weightDecay : 0;
    if (typeof g2.weightDecay === 'number') g2.weightDecay = 0;
    return wd;
  });
}

/** The learning rate of the optimizer's first group. */
export function lrOf(opt: Optimizer): number {
  return opt.paramGroups[0]?.lr ?? NaN;
}

/** Name and type of every layer that owns parameters directly: path → "path (Type)". */
export interface Layer {
  name: string;
  params: Tensor[];
}

export function layersOf(model: nn.Module): Layer[] {
  const out: Layer[] = [];
  for (const [path, m] of model.namedModules()) {
    const params = [...m.namedParameters({ recurse: false })].map(([, p]) => p).filter((p) => p.requiresGrad);
    if (params.length === 0) continue;
    out.push({ name: `${path || 'model'} (${m.constructor.name})`, params });
  }
  return out;
}

/** L2 norm over several tensors together. */
export function jointNorm(ts: (Tensor | null)[]): number {
  return torch.tidy(() => {
    let s = 0;
    for (const t of ts) if (t !== null) s += t.detach().float().square().sum().item();
    return Math.sqrt(s);
  });
}

/**
 * Tracks |Δw|/|w| per layer across optimizer steps: call before() ahead of a step and after()
 * after it; mean() gives each layer's average ratio over the steps seen.
 */
export class UpdateTracker {
  private readonly layers: Layer[];
  private prev: Tensor[][] = [];
  private prevNorms: number[] = [];
  private readonly sums: number[];
  private readonly maxes: number[];
  steps = 0;
  constructor(model: nn.Module) {
    this.layers = layersOf(model);
    this.sums = this.layers.map(() => 0);
    this.maxes = this.layers.map(() => 0);
  }
  before(): void {
    this.release();
    this.prev = torch.tidy(() => this.layers.map((l) => l.params.map((p) => p.detach().clone().keep())));
    this.prevNorms = this.layers.map((l, i) => (l.params.length ? jointNorm(this.prev[i]!) : 0));
  }
  after(): void {
    torch.tidy(() => {
      this.layers.forEach((l, i) => {
        let s = 0;
        l.params.forEach((p, j) => {
          s += p.detach().sub(this.prev[i]![j]!).float().square().sum().item();
        });
        const d = Math.sqrt(s);
        const w = this.prevNorms[i]!;
        const r = w > 1e-12 ? d / w : d > 0 ? Infinity : 0;
        this.sums[i] = this.sums[i]! + r;
        this.maxes[i] = Math.max(this.maxes[i]!, r);
      });
    });
    this.steps++;
    this.release();
  }
  mean(): Record<string, number> {
    return Object.fromEntries(this.layers.map((l, i) => [l.name, this.steps ? this.sums[i]! / this.steps : 0]));
  }
  release(): void {
    for (const ps of this.prev) for (const p of ps) p.dispose();
    this.prev = [];
  }
}

/** Loss and (classification) accuracy of model on inputs, without gradients; modes untouched. */
export function evaluate(ctx: DoctorContext, model: nn.Module, inputs: Tensor, targets: Tensor): { loss: number; accuracy: number | null } {
  return torch.noGrad(() => torch.tidy(() => {
    const out = model.call(inputs);
    const loss = ctx.loss(out, targets).item();
    const accuracy = ctx.task === 'classification' && out.dim() >= 2
      ? out.argmax(1).eq(targets).float().mean().item()
      : null;
    return { loss, accuracy };
  }));
}

/** Evaluation in eval mode (BatchNorm running statistics, no dropout); restores the modes. */
export function evaluateEval(ctx: DoctorContext, model: nn.Module, inputs: Tensor, targets: Tensor): { loss: number; accuracy: number | null } {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  try {
    return evaluate(ctx, model, inputs, targets);
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/** Rows `idx` of a split (new tensors: dispose them). */
export function rows(t: Tensor, idx: number[]): Tensor {
  return torch.tidy(() => t.index_select(0, torch.fromTypedArray(BigInt64Array.from(idx, (i) => BigInt(i)), [idx.length])));
}

/** Disposes a model's parameters and buffers. */
export function disposeModel(m: nn.Module): void {
  m.zeroGrad();
  m.dispose();
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(digits - 1).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

export function roundRecord(r: Record<string, number>, digits = 4): Record<string, number | null> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isFinite(v) ? round(v, digits) : null]));
}

export function geomean(xs: number[]): number {
  const ok = xs.filter((x) => x > 0 && Number.isFinite(x));
  return ok.length ? Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length) : NaN;
}

// ---- plots ----

export interface Series {
  xs: number[];
  ys: number[];
  /** RGB */
  color: [number, number, number];
}

const PALETTE: [number, number, number][] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]];
export function color(i: number): [number, number, number] {
  return PALETTE[i % PALETTE.length]!;
}

/**
 * A line plot as PNG bytes: series on shared axes (a frame and tick marks, no text: the caption
 * names the axes), optional vertical markers at given x values.
 */
export function linePlot(series: Series[], opts: { width?: number; height?: number; vlines?: { x: number; color: [number, number, number] }[]; yMax?: number } = {}): Uint8Array {
  const W = opts.width ?? 480;
  const H = opts.height ?? 300;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  const put = (x: number, y: number, c: [number, number, number]): void => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const o = (y * W + x) * 4;
    png.data[o] = c[0];
    png.data[o + 1] = c[1];
    png.data[o + 2] = c[2];
    png.data[o + 3] = 255;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number]): void => {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (let n = 0; n < 4 * (W + H); n++) {
      put(x0, y0, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  };
  const finite = series.flatMap((s) => s.xs.map((x, i) => [x, s.ys[i]!] as const)).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const m = 30;
  const grey: [number, number, number] = [120, 120, 120];
  line(m, H - m, W - 10, H - m, grey);
  line(m, 10, m, H - m, grey);
  if (finite.length > 0) {
    let x0 = Math.min(...finite.map((p) => p[0])), x1 = Math.max(...finite.map((p) => p[0]));
    let y0 = Math.min(...finite.map((p) => p[1])), y1 = Math.max(...finite.map((p) => p[1]));
    if (opts.yMax !== undefined) y1 = Math.min(y1, opts.yMax);
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 <= y0) { y0 -= 1; y1 = y0 + 2; }
    const px = (x: number): number => m + ((x - x0) / (x1 - x0)) * (W - 10 - m);
    const py = (y: number): number => H - m - ((Math.min(y, y1) - y0) / (y1 - y0)) * (H - m - 10);
    for (let k = 0; k <= 4; k++) {
      const tx = m + (k / 4) * (W - 10 - m), ty = H - m - (k / 4) * (H - m - 10);
      line(tx, H - m, tx, H - m + 5, grey);
      line(m - 5, ty, m, ty, grey);
    }
    for (const v of opts.vlines ?? []) {
      if (!Number.isFinite(v.x) || v.x < x0 || v.x > x1) continue;
      for (let y = 10; y < H - m; y += 6) line(px(v.x), y, px(v.x), y + 3, v.color);
    }
    for (const s of series) {
      let last: [number, number] | null = null;
      s.xs.forEach((x, i) => {
        const y = s.ys[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y)) { last = null; return; }
        const p: [number, number] = [px(x), py(y)];
        if (last) line(last[0], last[1], p[0], p[1], s.color);
        else put(Math.round(p[0]), Math.round(p[1]), s.color);
        last = p;
      });
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}
