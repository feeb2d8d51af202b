// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize: PyTorch 1.13's
// torch.optim.SGD update, op for op (per-tensor path = _single_tensor_sgd, foreach path =
// _multi_tensor_sgd without its in-place change of the gradients).

import { torch, Tensor } from '../torch/index.js';
import { Optimizer, REQUIRED, check, checkTypes, nonNegative, type ParamGroup, type Params } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (required, here or in every group). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening for momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
  /** true: the _foreach_* ops; false: one tensor at a time; null (default): foreach when a group's tensors share device and dtype. */
  foreach: boolean | null;
  /**
   * Safe to record in a CUDA graph (default false): the lr is read from a device tensor, so a
   * replayed step follows the schedule. Takes the per-tensor path.
   */
  capturable: boolean;
}

/**
 * Stochastic gradient descent (optionally with momentum), torch.optim.SGD:
 * `new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })`.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    super(params, {
      lr: opts.lr ?? (REQUIRED as unknown as number),
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      capturable: opts.capturable ?? false,
    }, opts);
  }

  protected override validate(o: Record<string, unknown>, where: string): void {
    checkTypes(o, 'SGD', where, ['lr', 'momentum', 'dampening', 'weightDecay'], ['nesterov', 'maximize', 'capturable']);
    if (o.lr !== REQUIRED) check(nonNegative(o.lr), 'SGD', where, `invalid learning rate: ${o.lr} (lr must be >= 0)`);
    check(nonNegative(o.momentum), 'SGD', where, `invalid momentum value: ${o.momentum} (must be >= 0)`);
    check(nonNegative(o.weightDecay), 'SGD', where, `invalid weightDecay value: ${o.weightDecay} (must be >= 0)`);
    check(Number.isFinite(o.dampening), 'SGD', where, `invalid dampening value: ${o.dampening}`);
    if (o.nesterov) {
      check((o.momentum as number) > 0 && o.dampening === 0, 'SGD', where,
        `Nesterov momentum requires a momentum and zero dampening (got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected update(group: ParamGroup<SGDOptions>, params: Tensor[], grads: Tensor[], foreach: boolean): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    const states = params.map((p) => this.stateOf(p));
    const bufs = states.map((s) => (s.momentum_buffer instanceof Tensor ? s.momentum_buffer : null));
    if (foreach) {
      let d: Tensor[] = grads;
      if (maximize) d = torch._foreach_neg(d);
      if (weightDecay !== 0) d = torch._foreach_add(d, params, { alpha: weightDecay });
      if (momentum !== 0) {
        if (bufs.every((b) => b !== null)) {
          const all = bufs as Tensor[];
          torch._foreach_mul_(all, momentum);
          torch._foreach_add_(all, d, { alpha: 1 - dampening });
        } else {
          bufs.forEach((b, i) => {
            if (b === null) bufs[i] = d[i]!.clone();
            else b.mul_(momentum).add_(d[i]!, { alpha: 1 - dampening });
          });
        }
        d = nesterov ? torch._foreach_add(d, bufs as Tensor[], { alpha: momentum }) : (bufs as Tensor[]);
      }
      torch._foreach_add_(params, d, { alpha: -lr });
    } else {
      params.forEach((p, i) => {
        let d = maximize ? grads[i]!.neg() : grads[i]!;
        if (weightDecay !== 0) d = d.add(p, { alpha: weightDecay });
        if (momentum !== 0) {
          let buf = bufs[i] ?? null;
          if (buf === null) {
            this.refuseWhileCapturing('a momentum buffer (a copy of the first gradient) was created');
            buf = bufs[i] = d.clone();
          } else {
            buf.mul_(momentum).add_(d, { alpha: 1 - dampening });
          }
          d = nesterov ? d.add(buf, { alpha: momentum }) : buf;
        }
        if (group.capturable) p.addcmul_(d, this.lrTensor(group, p.device), { value: -1 });
        else p.add_(d, { alpha: -lr });
      });
    }
    states.forEach((s, i) => this.setState(s, 'momentum_buffer', bufs[i]!));
  }
}
