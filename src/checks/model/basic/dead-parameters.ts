// dead-parameters: one backward of the real loss on a training batch (train mode, as training runs
// it; running statistics and the generator are put back), then for every parameter:
//   * requiresGrad false: frozen. Warn listing them (a layer frozen by mistake), fail if all are.
//   * no gradient at all (autograd.grad gives null): the parameter never reaches the loss, e.g. a
//     layer whose output the forward computes and then discards. Fail naming the layers.
//   * an all-zero gradient: warn (a weight) — a zero multiplier, a dead ReLU layer, a detach. A bias
//     whose gradient is ~0 relative to the rest is the bias of a layer followed by a normalization,
//     which cancels it: reported, not warned.
//   * requires grad but absent from the optimizer's parameters: it gets gradients and never moves.
//     Fail.
// Unlike neural_net_checklist's assert_non_zero_gradients (which backpropagates outputs.sum()), the
// real loss is used, so an output head the loss ignores is caught too.

import { torch, type Tensor } from '../../../torch/index.js';
import { batchOn, defineCheck, forwardTensor, layerOf, listNames, num, preserving, round, type Finding } from './util.js';

const BATCH = 16;
/** A gradient norm below this fraction of the median parameter's counts as zero. */
export const ZERO_GRAD_RELATIVE = 1e-7;

export const deadParameters = defineCheck({
  id: 'dead-parameters',
  title: 'Every parameter gets a gradient and is optimized',
  cost: 'cheap',
}, (ctx): Finding => {
  const model = ctx.model;
  const named = [...model.namedParameters()];
  if (named.length === 0) return { verdict: 'skip', summary: 'the model has no parameters', evidence: { parameters: 0 } };
  const frozen = named.filter(([, p]) => !p.requiresGrad).map(([n]) => n);
  const trainable = named.filter(([, p]) => p.requiresGrad);
  const total = named.reduce((s, [, p]) => s + p.numel(), 0);
  const frozenCount = named.filter(([, p]) => !p.requiresGrad).reduce((s, [, p]) => s + p.numel(), 0);
  const evidence: Record<string, number | string | string[] | boolean | null> = {
    parameters: named.length, elements: total, frozen, frozenElements: frozenCount,
  };
  if (trainable.length === 0) {
    return { verdict: 'fail', summary: `all ${named.length} parameter tensors (${total} elements) are frozen (requiresGrad false): nothing can train`, evidence,
      fix: 'unfreeze the layers to train: model.requiresGrad_(true), or requiresGrad_(true) on the head at least' };
  }

  // Gradient norms of the real loss, without touching .grad.
  const norms = preserving(model, () => torch.tidy(() => {
    model.train();
    const { inputs, targets } = batchOn(ctx, model, BATCH);
    const loss = torch.enableGrad(() => ctx.loss(forwardTensor(model, inputs), targets));
    if (!loss.requiresGrad) return trainable.map(() => null);
    const grads = torch.autograd.grad(loss, trainable.map(([, p]) => p), { allowUnused: true });
    return grads.map((g) => (g === null ? null : g.norm().item()));
  }));

  const unused: string[] = [];
  const zero: string[] = [];
  const cancelledBias: string[] = [];
  const finite = norms.filter((n): n is number => n !== null && n > 0).sort((a, b) => a - b);
  const median = finite.length > 0 ? finite[Math.floor(finite.length / 2)]! : 0;
  trainable.forEach(([name, p], i) => {
    const n = norms[i];
    if (n === null || n === undefined) unused.push(name);
    else if (n === 0 || n < ZERO_GRAD_RELATIVE * median) {
      if (n > 0 && p.ndim === 1 && /(^|\.)bias$/.test(name)) cancelledBias.push(name);
      else zero.push(name);
    }
  });

  const inOptimizer = new Set<Tensor>(ctx.optimizerParams ?? []);
  const notOptimized = ctx.optimizerParams === undefined ? [] : trainable.filter(([, p]) => !inOptimizer.has(p)).map(([n]) => n);
  evidence.noGradient = unused;
  evidence.zeroGradient = zero;
  evidence.biasCancelledByNorm = cancelledBias;
  evidence.notInOptimizer = notOptimized;
  evidence.optimizerChecked = ctx.optimizerParams !== undefined;
  evidence.medianGradNorm = round(median);

  const layers = (names: string[]) => [...new Set(names.map((n) => layerOf(model, n)))];
  const problems: string[] = [];
  const fixes: string[] = [];
  let verdict: Finding['verdict'] = 'pass';
  if (unused.length > 0) {
    verdict = 'fail';
    const ls = layers(unused);
    problems.push(`${unused.length} parameter tensor(s) get no gradient from the loss: ${listNames(unused)} — the output of ${listNames(ls)} never reaches the loss`);
    fixes.push(`use the output of ${listNames(ls)} in forward (it is computed and discarded, or its branch is not added to the result), or delete the layer`);
  }
  if (notOptimized.length > 0) {
    verdict = 'fail';
    problems.push(`${notOptimized.length} trainable parameter tensor(s) are not in the optimizer: ${listNames(notOptimized)}`);
    fixes.push(`give the optimizer all trainable parameters (model.parameters(), or add a param group for ${listNames(layers(notOptimized))})`);
  }
  if (zero.length > 0) {
    if (verdict === 'pass') verdict = 'warn';
    problems.push(`${zero.length} parameter tensor(s) have an all-zero gradient: ${listNames(zero)}`);
    fixes.push(`find why no signal reaches ${listNames(layers(zero))}: a zero multiplier or zero-initialised path, dead ReLUs, a detach() or a saturated activation after it`);
  }
  if (frozen.length > 0) {
    if (verdict === 'pass') verdict = 'warn';
    const pct = (100 * frozenCount) / total;
    problems.push(`${frozen.length} parameter tensor(s) are frozen (requiresGrad false, ${num(pct)}% of the elements): ${listNames(frozen)} in ${listNames(layers(frozen))}`);
    fixes.push(`if freezing ${listNames(layers(frozen))} is not intended, call requiresGrad_(true) on it`);
  }
  if (verdict === 'pass') {
    const note = cancelledBias.length > 0 ? `; ${cancelledBias.length} bias(es) cancelled by a following normalization (${listNames(cancelledBias, 3)}: bias=false there saves parameters)` : '';
    return { verdict, summary: `all ${trainable.length} parameter tensors get a non-zero gradient from the loss and are in the optimizer${note}`, evidence };
  }
  return { verdict, summary: problems.join('; '), evidence, fix: fixes.join('; ') };
});
