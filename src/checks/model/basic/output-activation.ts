// output-activation: the model's outputs and the targets in the form the loss expects.
//
// Classification:
//   * outputs that already went through a softmax (values in [0, 1], each row summing to 1 along
//     the class dimension, or grad_fn SoftmaxBackward0) before a loss that applies log-softmax
//     itself (CrossEntropyLoss): fail "softmax before cross-entropy". Before a loss that does not
//     (NLLLoss, which expects log-probabilities) it is a bug too: fail with that fix.
//   * outputs squashed by a sigmoid (grad_fn SigmoidBackward0, or every value in (0, 1) even with
//     the inputs scaled by ±30): fail.
//   * log-softmax outputs before a loss that applies log-softmax: harmless (it is idempotent), pass.
//   * targets: class indices out of [0, C) fail; one-hot float targets warn.
// Regression:
//   * an output bounded by its activation (sigmoid (0, 1), tanh (−1, 1), ReLU [0, ∞)) while the
//     targets range beyond the bound: fail naming the activation.
//   * target shape that differs from the output's ([B] vs [B, 1] broadcasts to [B, B] in PyTorch):
//     warn "broadcasting"; integer targets: warn.
// Which loss applies log-softmax is probed, not assumed: loss(z) = loss(log_softmax(z)) for random z.

import { torch, type Tensor } from '../../../torch/index.js';
import type { AnyModule } from '../../../nn/module.js';
import type { DoctorContext } from '../../types.js';
import { batchOn, defineCheck, firstTensor, num, preserving, round, type Finding } from './util.js';
import { broadcastShape } from '../../../nn/loss.js';

const BATCH = 16;
/** Input scales of the bound probe: a squashed output stays inside its bound whatever the input. */
const PROBE_SCALES = [1, 30, -30];

interface Range { min: number; max: number }

function range(t: Tensor): Range {
  return torch.tidy(() => {
    const f = t.detach().to('float32');
    return { min: f.min().item(), max: f.max().item() };
  });
}

/** Outputs in eval mode (with grad, for grad_fn) and their range over the input-scale probes. */
function probe(model: AnyModule, inputs: Tensor): { out: Tensor; gradFn: string | null; probed: Range; scaled: boolean } {
  return preserving(model, () => {
    model.eval();
    const out = torch.enableGrad(() => {
      const o = firstTensor(model.call(inputs));
      if (o === null) throw new Error(`${model.constructor.name}.forward returned no tensor`);
      return o;
    });
    const gradFn = out.gradFn;
    const probed = range(out);
    const scaled = inputs.isFloatingPoint();
    if (scaled) {
      torch.noGrad(() => torch.tidy(() => {
        for (const s of PROBE_SCALES.slice(1)) {
          const o = firstTensor(model.call(inputs.mul(s)));
          if (o === null) continue;
          const r = range(o);
          probed.min = Math.min(probed.min, r.min);
          probed.max = Math.max(probed.max, r.max);
        }
      }));
    }
    return { out: out.detach(), gradFn, probed, scaled };
  });
}

/** Whether the loss applies log-softmax to its input itself (CrossEntropyLoss does; NLLLoss does not). */
function lossAppliesLogSoftmax(ctx: DoctorContext, shape: number[], targets: Tensor, device: Tensor['device']): boolean | null {
  return torch.noGrad(() => torch.tidy(() => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Deterministic spread-out logits (no generator draw).
    const z = torch.arange(n, { dtype: 'float64' }).mul(12.9898).sin().mul(43758.5453).frac().sub(0.5).mul(6)
      .to('float32').reshape(shape).to(device);
    try {
      const a = ctx.loss(z, targets).item();
      const b = ctx.loss(z.log_softmax(1), targets).item();
      return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a));
    } catch {
      return null;
    }
  }));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}


const shp = (s: readonly number[]) => `[${s.join(', ')}]`;

function classification(ctx: DoctorContext, out: Tensor, gradFn: string | null, probed: Range, scaled: boolean, targets: Tensor): Finding {
  const C = out.ndim >= 2 ? out.shape[1]! : out.shape[0]!;
  const classDim = out.ndim >= 2 ? 1 : 0;
  const r = range(out);
  const evidence: Record<string, number | string | boolean | null | number[]> = {
    outputShape: out.shape, targetShape: targets.shape, targetDtype: targets.dtype, gradFn, outputMin: round(r.min, 4), outputMax: round(r.max, 4),
  };
  // Targets first: a loss on wrong targets makes every other reading moot.
  if (targets.isFloatingPoint()) {
    if (sameShape(targets.shape, out.shape)) {
      const oneHot = torch.tidy(() => targets.eq(0).logical_or(targets.eq(1)).all().item() && targets.sum(classDim).eq(1).all().item());
      if (oneHot) {
        evidence.targetForm = 'one-hot float';
        return { verdict: 'warn', summary: `targets are one-hot float vectors ${shp(targets.shape)}: the loss reads them as class probabilities`, evidence,
          fix: 'pass int64 class indices (targets.argmax(1)) for cross-entropy; use the loss\'s labelSmoothing option rather than soft targets built by hand' };
      }
      evidence.targetForm = 'class probabilities';
    } else {
      return { verdict: 'fail', summary: `float targets of shape ${shp(targets.shape)} fit neither class indices nor probabilities for outputs ${shp(out.shape)}`, evidence,
        fix: `give int64 class indices of shape ${shp(out.shape.filter((_, i) => i !== classDim))}` };
    }
  } else {
    const t = range(targets);
    evidence.targetMin = t.min;
    evidence.targetMax = t.max;
    const badLow = torch.tidy(() => targets.lt(0).logical_and(targets.ne(-100)).any().item());
    if (t.max >= C || badLow) {
      return { verdict: 'fail', summary: `class indices range over [${t.min}, ${t.max}] but the model outputs ${C} classes (valid indices 0…${C - 1})`, evidence,
        fix: `make the final layer output ${Math.max(t.max + 1, ctx.numClasses)} classes, or remap the labels to 0…${C - 1}` };
    }
  }
  const appliesLogSoftmax = lossAppliesLogSoftmax(ctx, out.shape, targets, out.device);
  evidence.lossAppliesLogSoftmax = appliesLogSoftmax;
  const sumsToOne = torch.tidy(() => out.to('float32').sum(classDim).sub(1).abs().max().item() <= 1e-3);
  const softmaxed = (gradFn !== null && /^Softmax/.test(gradFn)) || (r.min >= 0 && r.max <= 1 && sumsToOne && C > 1);
  const sigmoided = !softmaxed && ((gradFn !== null && /^Sigmoid/.test(gradFn)) || (scaled && probed.min > 0 && probed.max < 1));
  const logSoftmaxed = (gradFn !== null && /^LogSoftmax/.test(gradFn))
    || torch.tidy(() => r.max <= 0 && out.to('float32').logsumexp(classDim).abs().max().item() <= 1e-3);
  evidence.rowsSumToOne = sumsToOne;
  evidence.probedMin = round(probed.min, 4);
  evidence.probedMax = round(probed.max, 4);
  const lossName = appliesLogSoftmax === false ? 'a loss that expects log-probabilities (NLLLoss)' : 'cross-entropy';
  if (softmaxed) {
    evidence.outputActivation = 'softmax';
    const summary = `softmax before ${lossName}: the outputs are probabilities (values in [${num(r.min)}, ${num(r.max)}], rows sum to 1${gradFn ? `, grad_fn ${gradFn}` : ''})`;
    const fix = appliesLogSoftmax === false
      ? 'replace the final softmax with log_softmax (NLLLoss takes log-probabilities), or output logits and use CrossEntropyLoss'
      : 'remove the softmax at the end of forward: CrossEntropyLoss applies log-softmax to raw logits itself; apply softmax only when predicting';
    return { verdict: 'fail', summary, evidence, fix };
  }
  if (sigmoided) {
    evidence.outputActivation = 'sigmoid';
    return { verdict: 'fail', summary: `sigmoid before ${lossName}: every output stays in (0, 1) (${num(probed.min)}…${num(probed.max)}${scaled ? ' with inputs scaled ×1, ×30, ×−30' : ''}${gradFn ? `, grad_fn ${gradFn}` : ''})`, evidence,
      fix: 'remove the sigmoid at the end of forward: the loss wants raw logits (for multi-label targets use BCEWithLogitsLoss on logits)' };
  }
  if (logSoftmaxed) {
    evidence.outputActivation = 'log-softmax';
    if (appliesLogSoftmax === false) return { verdict: 'pass', summary: `outputs are log-probabilities (log-softmax) for a loss that expects them; targets are class indices in [0, ${C})`, evidence };
    return { verdict: 'pass', summary: 'outputs are log-softmax before cross-entropy: harmless (log-softmax is idempotent), though the extra op can go', evidence };
  }
  evidence.outputActivation = 'none (logits)';
  return { verdict: 'pass', summary: `outputs are raw logits over ${C} classes (range ${num(r.min)}…${num(r.max)}); targets ${targets.isFloatingPoint() ? 'are class probabilities' : `are class indices in [0, ${C})`}`, evidence };
}

function regression(out: Tensor, gradFn: string | null, probed: Range, scaled: boolean, targets: Tensor): Finding {
  const r = range(out);
  const t = range(targets);
  const evidence: Record<string, number | string | boolean | null | number[]> = {
    outputShape: out.shape, targetShape: targets.shape, targetDtype: targets.dtype, gradFn,
    outputMin: round(r.min, 4), outputMax: round(r.max, 4), probedMin: round(probed.min, 4), probedMax: round(probed.max, 4),
    targetMin: round(t.min, 4), targetMax: round(t.max, 4),
  };
  const by = (act: RegExp) => gradFn !== null && act.test(gradFn);
  const how = `${gradFn ? `grad_fn ${gradFn}; ` : ''}outputs ${num(probed.min)}…${num(probed.max)}${scaled ? ' with inputs scaled ×1, ×30, ×−30' : ''}`;
  const bounds: { name: string; lo: number; hi: number; hit: boolean }[] = [
    { name: 'sigmoid', lo: 0, hi: 1, hit: by(/^Sigmoid/) || (scaled && probed.min > 0 && probed.max < 1) },
    { name: 'tanh', lo: -1, hi: 1, hit: by(/^Tanh/) || (scaled && probed.min > -1 && probed.max < 1 && probed.min < 0) },
    { name: 'ReLU', lo: 0, hi: Infinity, hit: by(/^(Relu|Threshold)/) || (scaled && probed.min >= 0 && !(probed.max < 1)) },
  ];
  let bounded: string | null = null;
  for (const b of bounds) {
    if (!b.hit) continue;
    evidence.outputActivation = b.name;
    const outside = t.min < b.lo || t.max > b.hi;
    if (!outside && bounded === null) bounded = `bounded by ${b.name} to ${b.hi === Infinity ? `[${b.lo}, ∞)` : `[${b.lo}, ${b.hi}]`}, which holds the targets`;
    if (outside) {
      const interval = b.hi === Infinity ? `[${b.lo}, ∞)` : `(${b.lo}, ${b.hi})`;
      return { verdict: 'fail', summary: `${b.name} on a regression output: the outputs are confined to ${interval} (${how}) while the targets range over [${num(t.min)}, ${num(t.max)}]`, evidence,
        fix: `remove the ${b.name} after the final layer (a regression head is linear), or rescale the targets into ${interval}` };
    }
  }
  if (!targets.isFloatingPoint()) {
    return { verdict: 'warn', summary: `regression targets are ${targets.dtype}, not floating point`, evidence, fix: `convert the targets with targets.to('${out.dtype}')` };
  }
  if (!sameShape(out.shape, targets.shape)) {
    const b = broadcastShape(out.shape, targets.shape);
    const elementwise = out.numel() === targets.numel();
    evidence.broadcastShape = b;
    const summary = b !== null
      ? `broadcasting: outputs ${shp(out.shape)} and targets ${shp(targets.shape)} differ; an elementwise loss broadcasts them to ${shp(b)}${b.reduce((x, y) => x * y, 1) !== Math.max(out.numel(), targets.numel()) ? ', comparing every output with every target' : ''}`
      : `outputs ${shp(out.shape)} and targets ${shp(targets.shape)} have different shapes`;
    const fix = elementwise
      ? `reshape one to the other's shape before the loss: outputs.reshape(${shp(targets.shape)}) (e.g. squeeze(-1) on a [B, 1] output), or targets.reshape(${shp(out.shape)})`
      : `make the final layer output ${shp(targets.shape.slice(1))} per sample to match the targets`;
    return { verdict: 'warn', summary, evidence, fix };
  }
  return { verdict: 'pass', summary: `regression outputs are ${bounded ?? 'unbounded'} (${num(probed.min)}…${num(probed.max)} over the probes) and match the targets' shape ${shp(targets.shape)} (targets ${num(t.min)}…${num(t.max)})`, evidence };
}

export const outputActivation = defineCheck({
  id: 'output-activation',
  title: 'Outputs and targets have the form the loss expects',
  cost: 'cheap',
}, (ctx): Finding => {
  const model = ctx.model;
  return torch.tidy(() => {
    const { inputs, targets } = batchOn(ctx, model, BATCH);
    const { out, gradFn, probed, scaled } = probe(model, inputs);
    return ctx.task === 'classification'
      ? classification(ctx, out, gradFn, probed, scaled, targets)
      : regression(out, gradFn, probed, scaled, ctx.comparedTargets ? ctx.comparedTargets(targets) : targets);
  });
});
