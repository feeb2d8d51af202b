// Adam and AdamW: PyTorch 1.13's torch.optim.Adam / AdamW updates, op for op (per-tensor path =
// _single_tensor_adam(w), foreach path = _multi_tensor_adam(w) without its in-place change of the
// gradients). The step count is a JS number in the state (PyTorch keeps a 0-dim float tensor; a
// state dict from either form loads).

import { torch, Tensor } from '../torch/index.js';
import { Optimizer, check, checkTypes, nonNegative, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Coefficients of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled weight decay (default 1e-2). */
  weightDecay: number;
  /** The AMSGrad variant (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
  /** true: the _foreach_* ops; false: one tensor at a time; null (default): foreach when a group's tensors share device and dtype. */
  foreach: boolean | null;
  /**
   * Safe to record in a CUDA graph (default false), as PyTorch's `capturable`: the step count and
   * the lr live in device tensors and the bias corrections are computed there, so a replayed step
   * is the right step. Takes the per-tensor path.
   */
  capturable: boolean;
}

export type AdamWOptions = AdamOptions;

function validateAdam(name: string, o: Record<string, unknown>, where: string): void {
  checkTypes(o, name, where, ['lr', 'eps', 'weightDecay'], ['amsgrad', 'maximize', 'capturable']);
  const betas = o.betas;
  if (!Array.isArray(betas) || betas.length !== 2 || betas.some((b) => typeof b !== 'number')) {
    throw new TypeError(`${name}: option betas must be a pair of numbers [beta1, beta2], got ${JSON.stringify(betas)}${where === 'options' ? '' : ` (in ${where})`}`);
  }
  check(nonNegative(o.lr), name, where, `invalid learning rate: ${o.lr} (lr must be >= 0)`);
  check(nonNegative(o.eps), name, where, `invalid epsilon value: ${o.eps} (eps must be >= 0)`);
  check(betas[0] >= 0 && betas[0] < 1, name, where, `invalid beta parameter at index 0: ${betas[0]} (must be in [0, 1))`);
  check(betas[1] >= 0 && betas[1] < 1, name, where, `invalid beta parameter at index 1: ${betas[1]} (must be in [0, 1))`);
  check(nonNegative(o.weightDecay), name, where, `invalid weightDecay value: ${o.weightDecay} (must be >= 0)`);
}

/** Real views of complex tensors (Adam treats the real and imaginary parts as separate parameters). */
function asReal(ts: Tensor[]): Tensor[] {
  return ts.some((t) => t.isComplex()) ? ts.map((t) => (t.isComplex() ? torch.view_as_real(t) : t)) : ts;
}

function realOf(t: Tensor): Tensor {
  return t.isComplex() ? torch.view_as_real(t) : t;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  /** AdamW: weight decay multiplies the parameters instead of adding to the gradient. */
  protected abstract readonly decoupled: boolean;

  protected update(group: ParamGroup<AdamOptions>, params: Tensor[], grads: Tensor[], foreach: boolean): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((p) => this.initState(p, amsgrad));
    const expAvgs = states.map((s) => s.exp_avg as Tensor);
    const expAvgSqs = states.map((s) => s.exp_avg_sq as Tensor);
    const maxSqs = amsgrad ? states.map((s) => s.max_exp_avg_sq as Tensor) : [];
    if (group.capturable) {
      this.updateCapturable(group, params, grads, states);
      return;
    }
    const steps = states.map((s, i) => this.advanceStep(s, params[i]!, false) as number);

    if (foreach) {
      let g = grads;
      if (maximize) g = torch._foreach_neg(g);
      if (!this.decoupled && weightDecay !== 0) g = torch._foreach_add(g, params, { alpha: weightDecay });
      g = asReal(g);
      const ps = asReal(params);
      const ea = asReal(expAvgs);
      const es = asReal(expAvgSqs);
      if (this.decoupled) torch._foreach_mul_(ps, 1 - lr * weightDecay);
      torch._foreach_mul_(ea, beta1);
      torch._foreach_add_(ea, g, { alpha: 1 - beta1 });
      torch._foreach_mul_(es, beta2);
      torch._foreach_addcmul_(es, g, g, { value: 1 - beta2 });
      const stepSize = steps.map((t) => (lr / (1 - beta1 ** t)) * -1);
      const bc2Sqrt = steps.map((t) => Math.sqrt(1 - beta2 ** t));
      let sqrt: Tensor[];
      if (amsgrad) {
        const ms = asReal(maxSqs);
        torch._foreach_maximum_(ms, es);
        sqrt = torch._foreach_sqrt(ms);
      } else {
        sqrt = torch._foreach_sqrt(es);
      }
      torch._foreach_div_(sqrt, bc2Sqrt);
      const denom = torch._foreach_add(sqrt, eps);
      torch._foreach_addcdiv_(ps, ea, denom, stepSize);
      return;
    }

    params.forEach((p0, i) => {
      let grad = maximize ? grads[i]!.neg() : grads[i]!;
      if (!this.decoupled && weightDecay !== 0) grad = grad.add(p0, { alpha: weightDecay });
      grad = realOf(grad);
      const p = realOf(p0);
      const expAvg = realOf(expAvgs[i]!);
      const expAvgSq = realOf(expAvgSqs[i]!);
      if (this.decoupled) p.mul_(1 - lr * weightDecay);
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const step = steps[i]!;
      const stepSize = lr / (1 - beta1 ** step);
      const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
      let denom: Tensor;
      if (amsgrad) {
        const m = realOf(maxSqs[i]!);
        m.copy_(torch.maximum(m, expAvgSq));
        denom = m.sqrt().div(bc2Sqrt).add_(eps);
      } else {
        denom = expAvgSq.sqrt().div(bc2Sqrt).add_(eps);
      }
      p.addcdiv_(expAvg, denom, { value: -stepSize });
    });
  }

  /**
   * PyTorch 1.13's _single_tensor_adam(w) with capturable=True: the same update with the step
   * count, lr and bias corrections as device tensors (float64, 0-dim: they do not change the
   * parameters' dtype), so nothing is read back to the host and a CUDA graph can replay it.
   */
  private updateCapturable(group: ParamGroup<AdamOptions>, params: Tensor[], grads: Tensor[], states: ParamState[]): void {
    const { eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    params.forEach((p0, i) => {
      const s = states[i]!;
      const step = this.advanceStep(s, p0, true) as Tensor;
      const lr = this.lrTensor(group, p0.device);
      let grad = maximize ? grads[i]!.neg() : grads[i]!;
      if (!this.decoupled && weightDecay !== 0) grad = grad.add(p0, { alpha: weightDecay });
      grad = realOf(grad);
      const p = realOf(p0);
      const expAvg = realOf(s.exp_avg as Tensor);
      const expAvgSq = realOf(s.exp_avg_sq as Tensor);
      if (this.decoupled) p.mul_(lr.mul(-weightDecay).add_(1));
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const bc1 = torch.pow(beta1, step).neg_().add_(1);
      const bc2Sqrt = torch.pow(beta2, step).neg_().add_(1).sqrt_();
      const stepSizeNeg = lr.div(bc1).neg_();
      let second = expAvgSq;
      if (amsgrad) {
        const m = realOf(s.max_exp_avg_sq as Tensor);
        m.copy_(torch.maximum(m, expAvgSq));
        second = m;
      }
      // (sqrt(v) / bc2Sqrt + eps) / -stepSize, as PyTorch writes it, so that addcdiv needs no scalar.
      const denom = second.sqrt().div_(bc2Sqrt.mul(stepSizeNeg)).add_(stepSizeNeg.reciprocal().mul_(eps));
      p.addcdiv_(expAvg, denom);
    });
  }

  private initState(p: Tensor, amsgrad: boolean): ParamState {
    const s = this.stateOf(p);
    if (s.step === undefined) {
      s.step = 0;
      this.setState(s, 'exp_avg', this.zerosState(p));
      this.setState(s, 'exp_avg_sq', this.zerosState(p));
    }
    if (amsgrad && !(s.max_exp_avg_sq instanceof Tensor)) {
      this.setState(s, 'max_exp_avg_sq', this.zerosState(p));
    }
    return s;
  }
}

/** Adam, torch.optim.Adam: `new Adam(model.parameters(), { lr: 1e-3 })`. */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      capturable: opts.capturable ?? false,
    }, opts);
  }

  protected override validate(o: Record<string, unknown>, where: string): void {
    validateAdam('Adam', o, where);
  }
}

/** AdamW (decoupled weight decay), torch.optim.AdamW: `new AdamW(params, { lr: 1e-3, weightDecay: 1e-2 })`. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params<AdamWOptions>, opts: Partial<AdamWOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 1e-2,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      capturable: opts.capturable ?? false,
    }, opts);
  }

  protected override validate(o: Record<string, unknown>, where: string): void {
    validateAdam('AdamW', o, where);
  }
}
