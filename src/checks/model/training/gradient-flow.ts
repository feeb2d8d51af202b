// gradient-flow: one forward/backward on a batch, with forward hooks on the activations. Per layer:
// the gradient norm and gradient/weight ratio (vanishing below 1e-7, exploding above 1e3); per
// ReLU the share of units never active on the batch (dead: warn above 50%); per tanh/sigmoid the
// share of saturated outputs (|tanh| > 0.99, sigmoid < 0.01 or > 0.99: warn above 50%).

import { torch, Tensor } from '../../../torch/index.js';
import type { Check } from '../../types.js';
import { defineCheck, fmt, layersOf, jointNorm, round, roundRecord, type Finding } from './common.js';

export interface GradientFlowOptions {
  batchSize?: number;
  /** gradient/weight ratio below which a layer's gradient vanishes (1e-7) */
  vanishing?: number;
  /** gradient/weight ratio above which it explodes (1e3) */
  exploding?: number;
  /** share of dead ReLU units or saturated units that warns (0.5) */
  deadShare?: number;
}

export function gradientFlow(opts: GradientFlowOptions = {}): Check {
  const batchSize = opts.batchSize ?? 64;
  const vanishing = opts.vanishing ?? 1e-7;
  const exploding = opts.exploding ?? 1e3;
  const deadShare = opts.deadShare ?? 0.5;
  return defineCheck({ id: 'gradient-flow', title: 'Gradient flow and activations', cost: 'cheap' }, async (ctx): Promise<Finding> => {
    const model = ctx.model;
    model.train();
    const dead: Record<string, number> = {};
    const saturated: Record<string, number> = {};
    const handles = [];
    for (const [path, m] of model.namedModules()) {
      const kind = m.constructor.name;
      if (kind !== 'ReLU' && kind !== 'Tanh' && kind !== 'Sigmoid') continue;
      const name = `${path || 'model'} (${kind})`;
      handles.push(m.registerForwardHook((_m, _in, out) => {
        if (!(out instanceof Tensor) || out.dim() < 1 || out.shape[0]! < 1) return undefined;
        torch.noGrad(() => torch.tidy(() => {
          const o = out.detach();
          if (kind === 'ReLU') {
            const active = o.gt(0).flatten(1).any(0);
            dead[name] = 1 - active.float().mean().item();
          } else {
            const sat = kind === 'Tanh' ? o.abs().gt(0.99) : o.lt(0.01).logical_or(o.gt(0.99));
            saturated[name] = sat.float().mean().item();
          }
        }));
        return undefined;
      }));
    }
    const batch = ctx.trainBatch(batchSize, ctx.seed + 1);
    const bs = batch.inputs.shape[0]!;
    const gradNorm: Record<string, number> = {};
    const ratio: Record<string, number> = {};
    const noGrad: string[] = [];
    let loss: number;
    try {
      model.zeroGrad();
      loss = torch.tidy(() => {
        const l = ctx.loss(model.call(batch.inputs), batch.targets);
        l.backward();
        return l.item();
      });
      for (const layer of layersOf(model)) {
        const grads = layer.params.map((p) => p.grad);
        if (grads.every((g) => g === null)) {
          noGrad.push(layer.name);
          continue;
        }
        const g = jointNorm(grads);
        for (const t of grads) t?.dispose();
        const w = jointNorm(layer.params);
        gradNorm[layer.name] = g;
        ratio[layer.name] = w > 1e-12 ? g / w : NaN;
      }
    } finally {
      for (const h of handles) h.remove();
      model.zeroGrad();
      batch.inputs.dispose();
      batch.targets.dispose();
    }
    const vanish = Object.entries(ratio).filter(([k, r]) => r < vanishing || (Number.isNaN(r) && gradNorm[k]! === 0));
    const explode = Object.entries(ratio).filter(([k, r]) => r > exploding || !Number.isFinite(gradNorm[k]!));
    const deadOnes = Object.entries(dead).filter(([, d]) => d > deadShare);
    const satOnes = Object.entries(saturated).filter(([, s]) => s > deadShare);
    const evidence = {
      loss: round(loss),
      batchSize: bs,
      gradNorm: roundRecord(gradNorm),
      gradWeightRatio: roundRecord(ratio),
      deadReluShare: roundRecord(dead),
      saturatedShare: roundRecord(saturated),
      vanishing: vanish.map(([k]) => k),
      exploding: explode.map(([k]) => k),
      noGradient: noGrad,
    };
    const problems: string[] = [];
    if (vanish.length) problems.push(`vanishing gradients (|g|/|w| < ${fmt(vanishing)}) in ${vanish.map(([k, r]) => `${k} ${fmt(r)}`).join(', ')}`);
    if (explode.length) problems.push(`exploding gradients (|g|/|w| > ${fmt(exploding)}) in ${explode.map(([k, r]) => `${k} ${fmt(r)}`).join(', ')}`);
    const warnings: string[] = [];
    if (deadOnes.length) warnings.push(`dead ReLUs (never active on the batch) in ${deadOnes.map(([k, d]) => `${k} ${(100 * d).toFixed(0)}%`).join(', ')}`);
    if (satOnes.length) warnings.push(`saturated activations in ${satOnes.map(([k, s]) => `${k} ${(100 * s).toFixed(0)}%`).join(', ')}`);
    if (noGrad.length) warnings.push(`no gradient reaches ${noGrad.join(', ')}`);
    if (!Number.isFinite(loss)) problems.unshift(`the loss is ${loss}`);
    if (problems.length) {
      return {
        verdict: 'fail',
        summary: [...problems, ...warnings].join('; '),
        evidence,
        fix: 'A vanishing layer sits behind a path that scales the signal down (a tiny constant, a saturated or dead activation, a bad init): '
          + 'remove the scaling, use a standard init (Kaiming for ReLU), add normalization or residual connections. Exploding: lower the init scale or the LR, clip gradients.',
      };
    }
    if (warnings.length) {
      return {
        verdict: 'warn',
        summary: warnings.join('; '),
        evidence,
        fix: 'Dead ReLUs: lower the LR, use LeakyReLU/GELU, check the init and the bias; saturation: normalize the inputs, use a smaller init or BatchNorm/LayerNorm before the activation.',
      };
    }
    const rs = Object.values(ratio).filter(Number.isFinite);
    return {
      verdict: 'pass',
      summary: `gradients reach all ${Object.keys(ratio).length} layers (|g|/|w| ${fmt(Math.min(...rs))} to ${fmt(Math.max(...rs))}); `
        + `dead ReLU share ≤ ${(100 * Math.max(0, ...Object.values(dead))).toFixed(0)}%, saturation ≤ ${(100 * Math.max(0, ...Object.values(saturated))).toFixed(0)}%`,
      evidence,
    };
  });
}

export const GRADIENT_FLOW: Check = gradientFlow();
