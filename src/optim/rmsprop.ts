// RMSprop: PyTorch 1.13's torch.optim.RMSprop update, op for op (per-tensor path =
// _single_tensor_rmsprop, foreach path = _multi_tensor_rmsprop without its in-place change of the
// gradients).

import { torch, Tensor } from '../torch/index.js';
import { Optimizer, check, checkTypes, nonNegative, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Term added to the denominator (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by the estimated variance of the gradient instead of its second moment (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
  /** true: the _foreach_* ops; false: one tensor at a time; null (default): foreach when a group's tensors share device and dtype. */
  foreach: boolean | null;
  /**
   * Safe to record in a CUDA graph (default false): the lr and the step count live in device
   * tensors, so a replayed step follows the schedule. Takes the per-tensor path.
   */
  capturable: boolean;
}

function realOf(t: Tensor): Tensor {
  return t.isComplex() ? torch.view_as_real(t) : t;
}

function asReal(ts: Tensor[]): Tensor[] {
  return ts.some((t) => t.isComplex()) ? ts.map(realOf) : ts;
}

/** RMSprop, torch.optim.RMSprop: `new RMSprop(model.parameters(), { lr: 1e-2, momentum: 0.9 })`. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      alpha: opts.alpha ?? 0.99,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0,
      centered: opts.centered ?? false,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      capturable: opts.capturable ?? false,
    }, opts);
  }

  protected override validate(o: Record<string, unknown>, where: string): void {
    checkTypes(o, 'RMSprop', where, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'], ['centered', 'maximize', 'capturable']);
    check(nonNegative(o.lr), 'RMSprop', where, `invalid learning rate: ${o.lr} (lr must be >= 0)`);
    check(nonNegative(o.eps), 'RMSprop', where, `invalid epsilon value: ${o.eps} (eps must be >= 0)`);
    check(nonNegative(o.momentum), 'RMSprop', where, `invalid momentum value: ${o.momentum} (must be >= 0)`);
    check(nonNegative(o.weightDecay), 'RMSprop', where, `invalid weightDecay value: ${o.weightDecay} (must be >= 0)`);
    check(nonNegative(o.alpha), 'RMSprop', where, `invalid alpha value: ${o.alpha} (must be >= 0)`);
  }

  private initState(p: Tensor, momentum: number, centered: boolean, capturable: boolean): ParamState {
    const s = this.stateOf(p);
    if (s.step === undefined) {
      s.step = 0;
      this.setState(s, 'square_avg', this.zerosState(p));
    }
    if (momentum > 0 && !(s.momentum_buffer instanceof Tensor)) this.setState(s, 'momentum_buffer', this.zerosState(p));
    if (centered && !(s.grad_avg instanceof Tensor)) this.setState(s, 'grad_avg', this.zerosState(p));
    this.advanceStep(s, p, capturable);
    return s;
  }

  protected update(group: ParamGroup<RMSpropOptions>, params: Tensor[], grads: Tensor[], foreach: boolean): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const capturable = group.capturable;
    const states = params.map((p) => this.initState(p, momentum, centered, capturable));
    const squareAvgs = states.map((s) => s.square_avg as Tensor);
    const gradAvgs = centered ? states.map((s) => s.grad_avg as Tensor) : [];
    const bufs = momentum > 0 ? states.map((s) => s.momentum_buffer as Tensor) : [];

    if (foreach) {
      let g = grads;
      if (maximize) g = torch._foreach_neg(g);
      if (weightDecay !== 0) g = torch._foreach_add(g, params, { alpha: weightDecay });
      g = asReal(g);
      const ps = asReal(params);
      const sq = asReal(squareAvgs);
      torch._foreach_mul_(sq, alpha);
      torch._foreach_addcmul_(sq, g, g, { value: 1 - alpha });
      let avg: Tensor[];
      if (centered) {
        const ga = asReal(gradAvgs);
        torch._foreach_mul_(ga, alpha);
        torch._foreach_add_(ga, g, { alpha: 1 - alpha });
        avg = torch._foreach_addcmul(sq, ga, ga, { value: -1 });
        torch._foreach_sqrt_(avg);
      } else {
        avg = torch._foreach_sqrt(sq);
      }
      torch._foreach_add_(avg, eps);
      if (momentum > 0) {
        const b = asReal(bufs);
        torch._foreach_mul_(b, momentum);
        torch._foreach_addcdiv_(b, g, avg);
        torch._foreach_add_(ps, b, { alpha: -lr });
      } else {
        torch._foreach_addcdiv_(ps, g, avg, { value: -lr });
      }
      return;
    }

    params.forEach((p0, i) => {
      let grad = maximize ? grads[i]!.neg() : grads[i]!;
      if (weightDecay !== 0) grad = grad.add(p0, { alpha: weightDecay });
      grad = realOf(grad);
      const p = realOf(p0);
      const squareAvg = realOf(squareAvgs[i]!);
      squareAvg.mul_(alpha).addcmul_(grad, grad, { value: 1 - alpha });
      let avg: Tensor;
      if (centered) {
        const gradAvg = realOf(gradAvgs[i]!);
        gradAvg.mul_(alpha).add_(grad, { alpha: 1 - alpha });
        avg = squareAvg.addcmul(gradAvg, gradAvg, { value: -1 }).sqrt_();
      } else {
        avg = squareAvg.sqrt();
      }
      avg = avg.add_(eps);
      if (momentum > 0) {
        const buf = realOf(bufs[i]!);
        buf.mul_(momentum).addcdiv_(grad, avg);
        if (capturable) p.addcmul_(buf, this.lrTensor(group, p0.device), { value: -1 });
        else p.add_(buf, { alpha: -lr });
      } else if (capturable) {
        p.addcmul_(grad.div(avg), this.lrTensor(group, p0.device), { value: -1 });
      } else {
        p.addcdiv_(grad, avg, { value: -lr });
      }
    });
  }
}
