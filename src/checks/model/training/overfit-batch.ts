// overfit-batch: the recipe's "overfit one batch". With dropout off, weight decay 0 and one fixed
// batch, a fresh model must drive the loss near zero (and, for classification, reach 100%
// accuracy): first on one sample, then on a batch of 16. The configured optimizer goes first;
// Adam at 1e-3 is the fallback. On failure the layers whose update/weight ratio stayed near zero
// are named.

import { torch, type Tensor } from '../../../torch/index.js';
import type * as nn from '../../../nn/index.js';
import { Adam, type Optimizer } from '../../../optim/index.js';
import type { Check, DoctorContext, Figure } from '../../types.js';
import {
  color, defineCheck, disposeModel, dropoutOff, evaluate, fmt, freshModel, linePlot, lrOf, round, roundRecord, stepOf,
  UpdateTracker, weightDecayOff, type Finding,
} from './common.js';

export interface OverfitBatchOptions {
  /** step budget per stage (200) */
  steps?: number;
  /** the second stage's batch (16) */
  batchSize?: number;
  /** the loss must fall below max(absolute, relative × initial) (0.05, 0.05) */
  absolute?: number;
  relative?: number;
  /** update/weight ratio under which a layer counts as stuck (1e-5) */
  stuck?: number;
  /** Adam LRs tried in turn when the configured optimizer fails ([1e-3, 1e-2]; [] turns the fallback off) */
  fallbackLrs?: number[];
}

export interface OverfitRun {
  optimizer: string;
  samples: number;
  reached: boolean;
  steps: number;
  initialLoss: number;
  /** the least loss reachable on these targets (above 0 with label smoothing) */
  floor: number;
  finalLoss: number;
  accuracy: number | null;
  losses: number[];
  updateRatio: Record<string, number>;
}

/**
 * The least loss any outputs can reach on these targets: label smoothing or class weights keep a
 * perfect model's cross-entropy above 0 (0.28 nats with smoothing 0.05 over 10 classes). Found by
 * optimising free outputs of the model's output shape directly.
 */
export function lossFloor(ctx: DoctorContext, model: nn.Module, inputs: Tensor, targets: Tensor): number {
  return torch.tidy(() => {
    const shape = torch.noGrad(() => (model.call(inputs) as Tensor).shape);
    const z = torch.zeros(shape).requiresGrad_(true);
    const opt = new Adam([z], { lr: 0.1 });
    let best = Infinity;
    try {
      for (let i = 0; i < 300; i++) {
        opt.zeroGrad();
        const l = torch.tidy(() => {
          const loss = ctx.loss(z, targets);
          loss.backward();
          return loss.item();
        });
        best = Math.min(best, l);
        opt.step();
      }
    } finally {
      opt.dispose();
    }
    return Number.isFinite(best) ? Math.max(0, best) : 0;
  });
}

async function overfit(
  ctx: DoctorContext, inputs: Tensor, targets: Tensor, makeOpt: (m: nn.Module) => Optimizer, label: string, o: Required<OverfitBatchOptions>,
): Promise<OverfitRun> {
  const model = await freshModel(ctx, ctx.seed);
  const floor = lossFloor(ctx, model, inputs, targets);
  dropoutOff(model);
  const opt = makeOpt(model);
  weightDecayOff(opt);
  const step = stepOf(ctx);
  const tracker = new UpdateTracker(model);
  const losses: number[] = [];
  let reached = false;
  let accuracy: number | null = null;
  let finalLoss = NaN;
  const batch = { inputs, targets, indices: [] as number[] };
  try {
    for (let i = 0; i < o.steps; i++) {
      tracker.before();
      const l = step(model, opt, batch);
      tracker.after();
      losses.push(l);
      if (!Number.isFinite(l)) break;
      // near zero above the floor: within max(absolute, relative × the initial gap) of it
      const threshold = floor + Math.max(o.absolute, o.relative * (losses[0]! - floor));
      if (l < threshold || i === o.steps - 1) {
        const ev = evaluate(ctx, model, inputs, targets);
        finalLoss = ev.loss;
        accuracy = ev.accuracy;
        if (ev.loss < threshold && (accuracy === null || accuracy === 1)) {
          reached = true;
          break;
        }
      }
    }
    if (!Number.isFinite(finalLoss)) finalLoss = losses[losses.length - 1] ?? NaN;
  } finally {
    tracker.release();
    opt.dispose();
    disposeModel(model);
  }
  return {
    optimizer: label, samples: inputs.shape[0]!, reached, steps: losses.length, initialLoss: losses[0] ?? NaN, finalLoss, accuracy, floor,
    losses, updateRatio: tracker.mean(),
  };
}

function describeOpt(opt: Optimizer): string {
  return `${opt.constructor.name} lr=${fmt(lrOf(opt))}`;
}

export function overfitBatch(opts: OverfitBatchOptions = {}): Check {
  const o: Required<OverfitBatchOptions> = {
    steps: opts.steps ?? 200, batchSize: opts.batchSize ?? 16, absolute: opts.absolute ?? 0.05, relative: opts.relative ?? 0.05,
    stuck: opts.stuck ?? 1e-5, fallbackLrs: opts.fallbackLrs ?? [1e-3, 1e-2],
  };
  return defineCheck({ id: 'overfit-batch', title: 'Overfit one batch', cost: 'moderate' }, async (ctx): Promise<Finding> => {
    const batch = ctx.trainBatch(o.batchSize, ctx.seed + 2);
    // One sample, given twice so that BatchNorm in training mode has a batch to normalise over.
    const one = torch.tidy(() => ({
      inputs: batch.inputs.narrow(0, 0, 1).expand([2, ...batch.inputs.shape.slice(1)]).contiguous().keep(),
      targets: batch.targets.narrow(0, 0, 1).expand([2, ...batch.targets.shape.slice(1)]).contiguous().keep(),
    }));
    let configured = 'configured optimizer';
    {
      const probe = await freshModel(ctx, ctx.seed);
      const po = ctx.makeOptimizer(probe);
      configured = describeOpt(po);
      po.dispose();
      disposeModel(probe);
    }
    const runs: OverfitRun[] = [];
    try {
      const stages = async (makeOpt: (m: nn.Module) => Optimizer, label: string): Promise<OverfitRun[]> => {
        const r1 = await overfit(ctx, one.inputs, one.targets, makeOpt, label, o);
        const out = [r1];
        if (r1.reached) out.push(await overfit(ctx, batch.inputs, batch.targets, makeOpt, label, o));
        return out;
      };
      const mine = await stages((m) => ctx.makeOptimizer(m), configured);
      runs.push(...mine);
      const ok = (rs: OverfitRun[]): boolean => rs.length === 2 && rs.every((r) => r.reached);
      let fallback: OverfitRun[] = [];
      let adamLabel = '';
      const tried: string[] = [];
      for (const lr of ok(mine) ? [] : o.fallbackLrs) {
        const label = `Adam lr=${fmt(lr)}`;
        if (label === configured) continue;
        fallback = await stages((m) => new Adam(m.parameters(), { lr }), label);
        runs.push(...fallback);
        adamLabel = label;
        tried.push(label);
        if (ok(fallback)) break;
      }
      const evidence = {
        configured,
        runs: runs.map((r) => `${r.optimizer}, ${r.samples === 2 ? '1 sample' : `${r.samples} samples`}: ${r.reached ? 'reached' : 'not reached'} in ${r.steps} steps, loss ${fmt(r.initialLoss)} → ${fmt(r.finalLoss)}${r.accuracy === null ? '' : `, accuracy ${(100 * r.accuracy).toFixed(0)}%`}`),
        lossCurve: runs[runs.length - 1]!.losses.map((l) => round(l)),
        lossCurves: Object.fromEntries(runs.map((r, i) => [`${i}: ${r.optimizer}, ${r.samples === 2 ? 1 : r.samples} samples`, r.losses.map((l) => round(l)).join(' ')])),
        steps: runs.map((r) => r.steps),
        finalLoss: round(runs[runs.length - 1]!.finalLoss),
        finalAccuracy: runs[runs.length - 1]!.accuracy,
        updateRatio: roundRecord(mine[mine.length - 1]!.updateRatio),
      } as Finding['evidence'];
      const figure: Figure = {
        name: 'loss',
        caption: 'Overfit one batch: training loss (y) per step (x), one line per run (configured optimizer: 1 sample, batch; then the Adam fallback)',
        png: linePlot(runs.map((r, i) => ({ xs: r.losses.map((_, k) => k), ys: r.losses, color: color(i) }))),
      };
      const last = (rs: OverfitRun[]): OverfitRun => rs[rs.length - 1]!;
      const where = (r: OverfitRun): string => (r.samples === 2 ? 'one sample' : `a batch of ${r.samples}`);
      if (ok(mine)) {
        const r = last(mine);
        return {
          verdict: 'pass',
          summary: `${configured} overfits one sample in ${mine[0]!.steps} steps and a batch of ${r.samples} in ${r.steps} (loss ${fmt(r.initialLoss)} → ${fmt(r.finalLoss)}${r.accuracy === null ? '' : `, accuracy ${(100 * r.accuracy).toFixed(0)}%`})`,
          evidence,
          figures: [figure],
        };
      }
      const m = last(mine);
      if (ok(fallback)) {
        const r = last(fallback);
        return {
          verdict: 'warn',
          summary: `${configured} could not overfit ${where(m)} in ${m.steps} steps (loss ${fmt(m.initialLoss)} → ${fmt(m.finalLoss)}); ${adamLabel} did in ${r.steps} (loss → ${fmt(r.finalLoss)})`,
          evidence,
          fix: `The model can memorise a batch but the configured optimizer (${configured}) does not get there in ${o.steps} steps: check its learning rate (lr-range-test) and momentum.`,
          figures: [figure],
        };
      }
      const worst = fallback.length ? last(fallback) : m;
      const stuckLayers = new Set<string>();
      for (const r of [m, ...(fallback.length ? [last(fallback)] : [])]) {
        for (const [k, v] of Object.entries(r.updateRatio)) if (v < o.stuck) stuckLayers.add(k);
      }
      evidence.stuckLayers = [...stuckLayers];
      if (fallback.length) evidence.fallbackUpdateRatio = roundRecord(last(fallback).updateRatio);
      return {
        verdict: 'fail',
        summary: `the model cannot overfit ${where(worst)}: loss ${fmt(worst.initialLoss)} → ${fmt(worst.finalLoss)}${worst.accuracy === null ? '' : `, accuracy ${(100 * worst.accuracy).toFixed(0)}%`} after ${worst.steps} steps with ${[configured, ...tried].join(', ')}`
          + (stuckLayers.size ? `; layers with ~0 update/weight ratio (< ${fmt(o.stuck)}): ${[...stuckLayers].join(', ')}` : ''),
        evidence,
        fix: 'A model that cannot memorise 16 samples has a bug or no capacity: check that the output depends on the input (no detach, no constant path), '
          + 'that the loss matches the outputs (logits vs probabilities, target format), that no layer is frozen or cut off from the gradient, and that the model is big enough.',
        figures: [figure],
      };
    } finally {
      one.inputs.dispose();
      one.targets.dispose();
      batch.inputs.dispose();
      batch.targets.dispose();
    }
  });
}

export const OVERFIT_BATCH: Check = overfitBatch();
