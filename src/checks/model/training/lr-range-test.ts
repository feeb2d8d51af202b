// lr-range-test: Leslie Smith's LR range test as fastai's lr_find and Lightning's Tuner.lr_find run
// it. The LR grows exponentially from 1e-7 to 10 over ~100 steps on a fresh model with the
// configured optimizer; the loss is smoothed (EMA β 0.98, debiased) and the sweep stops when it
// exceeds 4× its minimum. The suggestion is the LR of steepest descent of the smoothed loss against
// log LR on its final descent to the minimum (see suggest); min/10 is reported too. Three seeds
// give the spread; the configured LR is compared with it.

import type { Check, DoctorContext } from '../../types.js';
import { color, defineCheck, disposeModel, fmt, freshModel, geomean, linePlot, lrOf, round, stepOf, type Finding } from './common.js';

export interface LrRangeOptions {
  minLr?: number;
  maxLr?: number;
  steps?: number;
  seeds?: number;
  batchSize?: number;
  beta?: number;
  /** stop when the smoothed loss exceeds this many times its minimum (4) */
  divergence?: number;
  /** warn when the configured LR is this many times above the suggestion (10) or this many below (100) */
  tooHigh?: number;
  tooLow?: number;
  /** run no further seed once the sweeps so far took this long (20 s; at least one seed runs) */
  maxSeconds?: number;
}

export interface Sweep {
  lrs: number[];
  losses: number[];
  smoothed: number[];
  /** steepest descent of the smoothed loss */
  steepest: number;
  /** LR at the minimum smoothed loss, divided by 10 */
  minOver10: number;
  /** LR at which the sweep stopped for divergence (NaN when it did not) */
  diverged: number;
}

/**
 * The suggestion rules on a finished sweep. Steepest descent as Lightning computes it (the slope of
 * the smoothed loss against log10 LR, the first `skipBegin` points and the last `skipEnd` skipped),
 * with two changes against noise: the slope is taken over ±`window` points (np.gradient uses ±1),
 * and it is searched on the final descent only: from the last point still at the starting plateau's level
 * (within 10% of the drop to the minimum) to the minimum. The debiased EMA is noisy over its first
 * points, and at LRs too small to learn that noise would otherwise win. min/10: fastai's rule.
 */
export function suggest(lrs: number[], smoothed: number[], skipBegin = 10, skipEnd = 1, window = 3): { steepest: number; minOver10: number } {
  const n = smoothed.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (smoothed[i]! < smoothed[best]!) best = i;
  const minOver10 = lrs[best]! / 10;
  const x = lrs.map(Math.log10);
  const slopeAt = (i: number): number => {
    const a = Math.max(0, i - window), b = Math.min(n - 1, i + window);
    return b === a ? NaN : (smoothed[b]! - smoothed[a]!) / (x[b]! - x[a]!);
  };
  const steepestIn = (lo: number, hi: number): number => {
    let steep = NaN;
    let slope = Infinity;
    for (let i = lo; i < hi; i++) {
      const g = slopeAt(i);
      if (g < slope) {
        slope = g;
        steep = lrs[i]!;
      }
    }
    return steep;
  };
  const head = smoothed.slice(0, Math.max(1, Math.min(20, best))).sort((a, b) => a - b);
  const plateau = head[Math.floor(head.length / 2)]!;
  const level = smoothed[best]! + 0.9 * (plateau - smoothed[best]!);
  let start = -1;
  for (let i = best - 1; i >= 0; i--) {
    if (smoothed[i]! >= level) {
      start = i;
      break;
    }
  }
  const lo = Math.max(start, Math.min(skipBegin, Math.max(0, n - 3)));
  let steep = lo < best ? steepestIn(lo, Math.min(best + 1, n - skipEnd)) : NaN;
  if (!Number.isFinite(steep)) steep = steepestIn(Math.min(skipBegin, Math.max(0, n - 3)), n - skipEnd);
  return { steepest: Number.isFinite(steep) ? steep : minOver10, minOver10 };
}

/** One sweep on a fresh model made under `seed`. */
export async function sweep(ctx: DoctorContext, seed: number, o: Required<LrRangeOptions>): Promise<Sweep> {
  const model = await freshModel(ctx, seed);
  const opt = ctx.makeOptimizer(model);
  const base = opt.paramGroups.map((g) => g.lr);
  const rel = base.map((l) => (base[0]! > 0 ? l / base[0]! : 1));
  const step = stepOf(ctx);
  const lrs: number[] = [];
  const losses: number[] = [];
  const smoothed: number[] = [];
  let avg = 0;
  let best = Infinity;
  let diverged = NaN;
  try {
    for (let i = 0; i < o.steps; i++) {
      const lr = o.minLr * (o.maxLr / o.minLr) ** (i / (o.steps - 1));
      opt.paramGroups.forEach((g, k) => {
        g.lr = lr * rel[k]!;
      });
      const b = ctx.trainBatch(o.batchSize, seed * 7919 + i);
      const l = step(model, opt, b);
      b.inputs.dispose();
      b.targets.dispose();
      if (!Number.isFinite(l)) {
        diverged = lr;
        break;
      }
      avg = o.beta * avg + (1 - o.beta) * l;
      const s = avg / (1 - o.beta ** (i + 1));
      lrs.push(lr);
      losses.push(l);
      smoothed.push(s);
      best = Math.min(best, s);
      if (i > 0 && s > o.divergence * best) {
        diverged = lr;
        break;
      }
    }
  } finally {
    opt.dispose();
    disposeModel(model);
  }
  return { lrs, losses, smoothed, ...suggest(lrs, smoothed), diverged };
}

/**
 * Mean loss of the first and last `window` of `steps` steps at a fixed learning rate on a fresh model:
 * whether training at that rate goes anywhere.
 */
export async function shortRun(ctx: DoctorContext, seed: number, lr: number, o: Required<LrRangeOptions>, steps = 40, window = 8): Promise<{ first: number; last: number }> {
  const model = await freshModel(ctx, seed);
  const opt = ctx.makeOptimizer(model);
  const base = opt.paramGroups.map((g) => g.lr);
  opt.paramGroups.forEach((g, k) => { g.lr = base[0]! > 0 ? lr * base[k]! / base[0]! : lr; });
  const step = stepOf(ctx);
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const b = ctx.trainBatch(o.batchSize, seed * 7919 + i);
      losses.push(step(model, opt, b));
      b.inputs.dispose();
      b.targets.dispose();
      if (!Number.isFinite(losses[losses.length - 1]!)) break;
    }
  } finally {
    opt.dispose();
    disposeModel(model);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(losses.slice(0, window)), last: mean(losses.slice(-window)) };
}

export function lrRangeTest(opts: LrRangeOptions = {}): Check {
  const o: Required<LrRangeOptions> = {
    minLr: opts.minLr ?? 1e-7, maxLr: opts.maxLr ?? 10, steps: opts.steps ?? 100, seeds: opts.seeds ?? 3, batchSize: opts.batchSize ?? 32,
    beta: opts.beta ?? 0.98, divergence: opts.divergence ?? 4, tooHigh: opts.tooHigh ?? 10, tooLow: opts.tooLow ?? 100,
    maxSeconds: opts.maxSeconds ?? 20,
  };
  return defineCheck({ id: 'lr-range-test', title: 'Learning-rate range test', cost: 'expensive' }, async (ctx): Promise<Finding> => {
    let configured: number;
    let optName: string;
    {
      const probe = await freshModel(ctx, ctx.seed);
      const po = ctx.makeOptimizer(probe);
      configured = lrOf(po);
      optName = po.constructor.name;
      po.dispose();
      disposeModel(probe);
    }
    const sweeps: Sweep[] = [];
    const t0 = performance.now();
    for (let s = 0; s < o.seeds; s++) {
      const elapsed = (performance.now() - t0) / 1000;
      // Another seed only when it fits in the budget (a seed takes about elapsed / s).
      if (s > 0 && elapsed + elapsed / s > o.maxSeconds) break;
      sweeps.push(await sweep(ctx, ctx.seed + 17 * (s + 1), o));
    }
    const steep = sweeps.map((s) => s.steepest);
    const minOver10 = sweeps.map((s) => s.minOver10);
    const div = sweeps.map((s) => s.diverged);
    const suggestion = geomean(steep);
    const divLr = geomean(div);
    const evidence = {
      optimizer: optName,
      seeds: sweeps.length,
      configuredLr: configured,
      suggestedLr: round(suggestion, 3),
      suggestedMin: round(Math.min(...steep), 3),
      suggestedMax: round(Math.max(...steep), 3),
      steepest: steep.map((x) => round(x, 3)),
      minOver10: minOver10.map((x) => round(x, 3)),
      divergedAt: div.map((x) => (Number.isFinite(x) ? fmt(x) : 'no divergence')),
      sweepSteps: sweeps.map((s) => s.lrs.length),
      lossCurve: sweeps[0]!.smoothed.map((x) => round(x)),
      lrs: sweeps[0]!.lrs.map((x) => round(x, 3)),
    };
    const figure = {
      name: 'lr-find',
      caption: `LR range test (${optName}): smoothed loss (y) against log10 LR (x, ${fmt(o.minLr)} to ${fmt(o.maxLr)}), one line per seed; dashed: suggestion (green) and configured LR (red)`,
      png: linePlot(
        sweeps.map((s, i) => ({ xs: s.lrs.map(Math.log10), ys: s.smoothed, color: color(i) })),
        {
          vlines: [{ x: Math.log10(suggestion), color: [44, 160, 44] }, { x: Math.log10(configured), color: [214, 39, 40] }],
          yMax: Math.max(...sweeps.map((s) => (s.smoothed[0] ?? 1) * 2)),
        },
      ),
    };
    const spread = `${fmt(suggestion)} (seeds ${fmt(Math.min(...steep))}–${fmt(Math.max(...steep))}; min/10 ${fmt(geomean(minOver10))})`;
    if (!Number.isFinite(suggestion)) {
      return { verdict: 'warn', summary: `the sweep gave no usable loss curve (diverged at ${fmt(divLr)})`, evidence, figures: [figure], fix: 'Check the loss for NaN at small LRs (nan-origin).' };
    }
    const divNote = Number.isFinite(divLr) ? `; the loss diverges from ~${fmt(divLr)}` : '';
    if (Number.isFinite(divLr) && configured >= divLr) {
      return {
        verdict: 'fail',
        summary: `configured lr=${fmt(configured)} (${optName}) is at or beyond where the loss diverges (~${fmt(divLr)}); suggested lr ${spread}`,
        evidence,
        fix: `Lower the learning rate to about ${fmt(suggestion)} (the steepest descent; ${fmt(geomean(minOver10))} is the min/10 rule).`,
        figures: [figure],
      };
    }
    if (configured > o.tooHigh * suggestion) {
      // Far above the suggestion without a divergence in the sweep (a loss that saturates instead of
      // exploding): train briefly at the configured rate and at the suggested one, and compare.
      const at = await shortRun(ctx, ctx.seed + 101, configured, o);
      const ref = await shortRun(ctx, ctx.seed + 101, suggestion, o);
      Object.assign(evidence, { configuredRun: { first: round(at.first), last: round(at.last) }, suggestedRun: { first: round(ref.first), last: round(ref.last) } });
      if (!(at.last < 0.9 * at.first) && ref.last < 0.9 * ref.first) {
        return {
          verdict: 'fail',
          summary: `configured lr=${fmt(configured)} (${optName}) is far too high: in 40 steps at that rate the loss goes ${fmt(at.first)} → ${fmt(at.last)}, at the suggested lr ${fmt(suggestion)} ${fmt(ref.first)} → ${fmt(ref.last)}; suggested lr ${spread}${divNote}`,
          evidence,
          fix: `Lower the learning rate to about ${fmt(suggestion)} (the steepest descent of the LR range test).`,
          figures: [figure],
        };
      }
      return {
        verdict: 'warn',
        summary: `configured lr=${fmt(configured)} (${optName}) is ${fmt(configured / suggestion, 2)}× the suggested lr ${spread}${divNote}`,
        evidence,
        fix: `Try a learning rate near ${fmt(suggestion)}; the configured one is far above the steepest descent.`,
        figures: [figure],
      };
    }
    if (configured < suggestion / o.tooLow) {
      return {
        verdict: 'warn',
        summary: `configured lr=${fmt(configured)} (${optName}) is ${fmt(suggestion / configured, 2)}× below the suggested lr ${spread}: training will crawl`,
        evidence,
        fix: `Raise the learning rate toward ${fmt(suggestion)}.`,
        figures: [figure],
      };
    }
    return { verdict: 'pass', summary: `configured lr=${fmt(configured)} (${optName}) is in range: suggested lr ${spread}${divNote}`, evidence, figures: [figure] };
  });
}

export const LR_RANGE_TEST: Check = lrRangeTest();
