// loss-at-init: the loss of the untrained model against the loss of the label prior. A model that
// knows nothing should score what predicting the training prior scores: classification, the cross
// entropy of the class frequencies, −Σ p_c log p_c (ln C when balanced); regression, the MSE of
// predicting the target mean, the target variance. The expectation is measured by passing the
// prior as a constant prediction through the user's own loss on the same batch (so label
// smoothing, class weights or an L1 loss are accounted for); the closed form is the fallback.
//
// Thresholds: neural_net_checklist fails at +75 % over ln C, one-sided; the recipe research asks
// for a two-sided test. Here, on r = measured / expected: pass when 1/1.75 ≤ r ≤ 1.75 (or, for
// classification, within 0.1 nats), warn up to 3× either way, fail beyond.
//
// The fix is the recipe's bias init: the final layer's bias set to the log class prior
// (classification) or the target mean (regression). `applyInitBias` does it.

import { torch, type Tensor } from '../../../torch/index.js';
import type { AnyModule } from '../../../nn/module.js';
import type { DoctorContext } from '../../types.js';
import { batchOn, defineCheck, describeModule, forwardTensor, moduleNames, num, preserving, round, type Finding } from './util.js';

export const LOSS_AT_INIT_PASS_RATIO = 1.75;
export const LOSS_AT_INIT_FAIL_RATIO = 3;
/** Classification: within this many nats of the prior's loss passes whatever the ratio. */
export const LOSS_AT_INIT_PASS_NATS = 0.1;
const BATCH = 64;

/** What the training labels say a know-nothing model should predict. */
export interface LabelPrior {
  task: 'classification' | 'regression';
  /** classification: class frequencies; regression: [] */
  prior: number[];
  /** classification: −Σ p log p (nats); regression: the target variance about the per-output mean */
  expected: number;
  /** the final bias that makes the model predict the prior: log p_c, or the target mean per output */
  bias: number[];
}

/** The label prior of the training split (numClasses classes at least; -100 and other negatives ignored). */
export function labelPrior(ctx: DoctorContext, numOutputs?: number): LabelPrior {
  const y = ctx.splits.train.targets;
  if (ctx.task === 'classification') {
    return torch.tidy(() => {
      const flat = y.reshape(-1);
      const valid = flat.index_select(0, flat.ge(0).nonzero().reshape(-1)).to('cpu');
      const C = Math.max(ctx.numClasses, numOutputs ?? 0, valid.numel() > 0 ? Number(valid.max().item()) + 1 : 1);
      const counts = valid.bincount(null, C).toNumbers();
      const n = counts.reduce((a, b) => a + b, 0);
      const prior = counts.map((c) => (n > 0 ? c / n : 1 / C));
      const expected = -prior.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0);
      // An absent class gets a small floor rather than -inf.
      const bias = prior.map((p) => Math.log(Math.max(p, 1e-6)));
      return { task: 'classification' as const, prior, expected, bias };
    });
  }
  return torch.tidy(() => {
    const f = (ctx.comparedTargets ? ctx.comparedTargets(y) : y).to('cpu').to('float64');
    const flat = f.ndim <= 1 ? f.reshape([-1, 1]) : f.reshape([f.shape[0]!, -1]);
    const mean = flat.mean(0);
    const expected = flat.sub(mean).pow(2).mean().item();
    return { task: 'regression' as const, prior: [], expected, bias: mean.toNumbers() };
  });
}

/** The number of outputs the final bias must have: dim 1 for classification, the last dim for regression. */
function outputWidth(out: Tensor, task: 'classification' | 'regression'): number {
  if (out.ndim < 2) return 1;
  return task === 'classification' ? out.shape[1]! : out.shape[out.ndim - 1]!;
}

/** The final layer found by running the model once: the last module to finish whose `bias` has `width` entries. */
export interface FinalLayer {
  name: string;
  module: AnyModule;
  bias: Tensor;
  description: string;
}

function lastBiasLayer(model: AnyModule, inputs: Tensor, task: 'classification' | 'regression'): { final: FinalLayer | null; width: number } {
  const names = moduleNames(model);
  const finished: AnyModule[] = [];
  const handles = [...names.keys()].map((m) => m.registerForwardHook((mod) => {
    finished.push(mod);
  }));
  let width = 1;
  try {
    preserving(model, () => torch.noGrad(() => torch.tidy(() => {
      model.eval();
      width = outputWidth(forwardTensor(model, inputs), task);
    })));
  } finally {
    for (const h of handles) h.remove();
  }
  for (let i = finished.length - 1; i >= 0; i--) {
    const m = finished[i]!;
    const b = (m as unknown as Record<string, unknown>).bias;
    if (b instanceof torch.Tensor && b._role === 'param' && b.ndim === 1 && b.shape[0] === width) {
      const name = names.get(m) ?? '';
      return { final: { name, module: m, bias: b, description: describeModule(name, m) }, width };
    }
  }
  return { final: null, width };
}

/** The bias the prior asks for, widened to the layer's width (a scalar target mean is repeated). */
function suggestedBias(prior: LabelPrior, width: number): number[] | null {
  if (prior.bias.length === width) return prior.bias;
  if (prior.task === 'regression' && prior.bias.length === 1) return Array.from({ length: width }, () => prior.bias[0]!);
  if (prior.task === 'classification' && prior.bias.length > width) return null;
  return null;
}

/**
 * Sets the final layer's bias to the label prior (log class frequencies for classification, the
 * target mean for regression), as the recipe's "init well" step. Returns the layer and the bias
 * set, or null when no final layer with a matching bias was found.
 */
export function applyInitBias(model: AnyModule, ctx: DoctorContext): { layer: string; bias: number[] } | null {
  const b = batchOn(ctx, model, Math.min(4, BATCH));
  try {
    const { final, width } = lastBiasLayer(model, b.inputs, ctx.task);
    if (final === null) return null;
    const bias = suggestedBias(labelPrior(ctx, width), width);
    if (bias === null) return null;
    torch.noGrad(() => torch.tidy(() => {
      final.bias.copy_(torch.tensor(bias, { dtype: final.bias.dtype }).to(final.bias.device));
    }));
    return { layer: final.name, bias };
  } finally {
    b.inputs.dispose();
    b.targets.dispose();
  }
}

/** The prior as a constant prediction of the output's shape (logits log p along dim 1, or the mean). */
function priorPrediction(out: Tensor, prior: LabelPrior, task: 'classification' | 'regression'): Tensor | null {
  const opts = { dtype: out.dtype };
  if (task === 'classification') {
    if (out.ndim < 2 || out.shape[1] !== prior.bias.length) return null;
    const shape = out.shape.map((d, i) => (i === 1 ? d : 1));
    return torch.tensor(prior.bias, opts).to(out.device).reshape(shape).expand(out.shape).contiguous();
  }
  const per = out.ndim <= 1 ? 1 : out.shape.slice(1).reduce((a, b) => a * b, 1);
  if (prior.bias.length === 1) return torch.full(out.shape, prior.bias[0]!, opts).to(out.device);
  if (prior.bias.length === per) return torch.tensor(prior.bias, opts).to(out.device).reshape([1, ...out.shape.slice(1)]).expand(out.shape).contiguous();
  return null;
}

export const lossAtInit = defineCheck({
  id: 'loss-at-init',
  title: 'Loss at init matches the label prior',
  cost: 'cheap',
}, (ctx): Finding => {
  const model = ctx.model;
  const { inputs, targets } = batchOn(ctx, model, BATCH);
  try {
    const { final, width } = lastBiasLayer(model, inputs, ctx.task);
    const prior = labelPrior(ctx, width);
    // Measured as training sees it (train mode), without touching running statistics or the generator.
    const measure = (): number => preserving(model, () => torch.noGrad(() => torch.tidy(() => {
      model.train();
      return ctx.loss(forwardTensor(model, inputs), targets).item();
    })));
    const measured = measure();
    let expected = prior.expected;
    let expectedFrom = ctx.task === 'classification' ? 'entropy of the training class frequencies' : 'variance of the training targets';
    torch.noGrad(() => torch.tidy(() => {
      const out = preserving(model, () => {
        model.eval();
        return forwardTensor(model, inputs);
      });
      const pred = priorPrediction(out, prior, ctx.task);
      if (pred === null) return;
      try {
        const v = ctx.loss(pred, targets).item();
        if (Number.isFinite(v)) {
          expected = v;
          expectedFrom = 'the loss of predicting the training prior on this batch';
        }
      } catch {
        // the loss does not take a constant prediction: keep the closed form
      }
    }));

    const bias = suggestedBias(prior, width);
    const biasText = bias === null ? 'n/a' : `[${bias.slice(0, 10).map((b) => num(b)).join(', ')}${bias.length > 10 ? ', …' : ''}]`;
    const biasWhat = ctx.task === 'classification' ? 'log class prior' : 'target mean';
    // The loss with the suggested bias in place (the layer's bias is put back after).
    let withBias: number | null = null;
    if (final !== null && bias !== null) {
      const saved = torch.noGrad(() => final.bias.clone().keep());
      try {
        torch.noGrad(() => torch.tidy(() => {
          final.bias.copy_(torch.tensor(bias, { dtype: final.bias.dtype }).to(final.bias.device));
        }));
        withBias = measure();
      } finally {
        torch.noGrad(() => final.bias.copy_(saved));
        saved.dispose();
      }
    }

    const ratio = measured / expected;
    const evidence = {
      measured: round(measured), expected: round(expected), ratio: round(ratio, 4),
      expectedFrom, priorLoss: round(prior.expected), batch: inputs.shape[0]!,
      ...(ctx.task === 'classification' ? { classPrior: prior.prior.map((p) => round(p, 4)), lnC: round(Math.log(Math.max(prior.prior.length, 1))) } : {}),
      finalLayer: final === null ? null : final.name === '' ? final.module.constructor.name : final.name,
      suggestedBias: bias === null ? null : bias.map((b) => round(b, 5)),
      lossWithSuggestedBias: withBias === null ? null : round(withBias),
      thresholds: `pass ${num(1 / LOSS_AT_INIT_PASS_RATIO)}–${LOSS_AT_INIT_PASS_RATIO}× (or ±${LOSS_AT_INIT_PASS_NATS} nats), fail beyond ${LOSS_AT_INIT_FAIL_RATIO}× either way`,
    };
    if (!Number.isFinite(measured)) {
      return { verdict: 'fail', summary: `loss at init is ${measured} (expected ${num(expected)})`, evidence,
        fix: 'the untrained model already produces a non-finite loss: check the input normalisation, the loss inputs and the initialisation' };
    }
    if (!(expected > 1e-12)) {
      return { verdict: 'skip', summary: `the training targets carry no information (prior loss ${num(expected)}): nothing to compare the loss at init ${num(measured)} with`, evidence };
    }
    const nearNats = ctx.task === 'classification' && Math.abs(measured - expected) <= LOSS_AT_INIT_PASS_NATS;
    const lr = Math.abs(Math.log(ratio));
    const verdict = nearNats || lr <= Math.log(LOSS_AT_INIT_PASS_RATIO) ? 'pass' : lr <= Math.log(LOSS_AT_INIT_FAIL_RATIO) ? 'warn' : 'fail';
    const unit = ctx.task === 'classification' ? ' nats' : '';
    const summary = `loss at init ${num(measured)}${unit} vs ${num(expected)}${unit} expected from the label prior (ratio ${num(ratio)}×)`
      + (verdict === 'pass' ? '' : `; suggested ${final === null ? 'final-layer' : final.description} bias = ${biasText} (${biasWhat})`
        + (withBias === null ? '' : `, which gives ${num(withBias)}`));
    if (verdict === 'pass') return { verdict, summary, evidence };
    const where = final === null ? 'the final layer (none with a bias of the output width was found)' : `the bias of ${final.description}`;
    const direction = ratio > 1 ? 'too confident at init (large logits or a far-off output offset)' : 'scoring better than the prior before training (weights loaded from a model trained on this data, labels that leak into the inputs, or a loss that is not the mean over the batch)';
    let fix = `the model is ${direction}: set ${where} to the ${biasWhat} ${biasText} (applyInitBias(model, ctx) does it)`;
    if (withBias !== null && Math.abs(Math.log(withBias / expected)) > Math.log(LOSS_AT_INIT_PASS_RATIO)) {
      fix += `; with that bias the loss is still ${num(withBias)}, so also shrink the final layer's weights (e.g. ×0.1 or zero them) or fix the loss`;
    }
    return { verdict, summary, evidence, fix };
  } finally {
    inputs.dispose();
    targets.dispose();
  }
});
