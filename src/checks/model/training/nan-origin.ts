// nan-origin: one forward/backward on a training batch; if the loss or a gradient is NaN or
// infinite, the pass is rerun in anomaly mode, which names the first op whose output went
// non-finite (forward) or the backward node that produced one, and the layer that ran it.

import { torch, AnomalyError, type Tensor } from '../../../torch/index.js';
import type * as nn from '../../../nn/index.js';
import type { Check, DoctorContext } from '../../types.js';
import { defineCheck, layersOf, type Finding } from './common.js';

export interface NanOriginOptions {
  batchSize?: number;
}

interface Pass {
  loss: number;
  /** layers whose gradient holds a NaN or infinity */
  badGrads: string[];
}

function forwardBackward(ctx: DoctorContext, model: nn.Module, inputs: Tensor, targets: Tensor): Pass {
  model.zeroGrad();
  const loss = torch.tidy(() => {
    const l = ctx.loss(model.call(inputs), targets);
    const v = l.item();
    if (l.requiresGrad) l.backward();
    return v;
  });
  const badGrads: string[] = [];
  torch.tidy(() => {
    for (const layer of layersOf(model)) {
      for (const p of layer.params) {
        const g = p.grad;
        if (g !== null && !torch.isfinite(g).all().item()) {
          badGrads.push(layer.name);
          break;
        }
      }
    }
  });
  return { loss, badGrads };
}

/** Runs the pass in anomaly mode, tracking the module being run, and reports where it stopped. */
function locate(ctx: DoctorContext, model: nn.Module, inputs: Tensor, targets: Tensor): { op: string | null; module: string | null; phase: 'forward' | 'loss' | 'backward' | null; message: string } {
  const running: string[] = [];
  const handles = [];
  for (const [path, m] of model.namedModules()) {
    const name = `${path || 'model'} (${m.constructor.name})`;
    handles.push(m.registerForwardPreHook(() => {
      running.push(name);
      return undefined;
    }));
    handles.push(m.registerForwardHook(() => {
      running.pop();
      return undefined;
    }));
  }
  let phase: 'forward' | 'loss' | 'backward' = 'forward';
  model.zeroGrad();
  try {
    torch.detectAnomaly(() => torch.tidy(() => {
      const out = model.call(inputs);
      phase = 'loss';
      const l = ctx.loss(out, targets);
      phase = 'backward';
      if (l.requiresGrad) l.backward();
    }));
    return { op: null, module: null, phase: null, message: 'anomaly mode found no non-finite value on the rerun' };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const op = e instanceof AnomalyError && e.op ? e.op : (/Function '(\w+)'/.exec(msg)?.[1] ?? /(\w+Backward\d*)/.exec(msg)?.[1] ?? null);
    const module = phase === 'forward' ? running[running.length - 1] ?? null : null;
    return { op, module, phase, message: msg.split('\n')[0]! };
  } finally {
    for (const h of handles) h.remove();
    model.zeroGrad();
  }
}

export function nanOrigin(opts: NanOriginOptions = {}): Check {
  const batchSize = opts.batchSize ?? 32;
  return defineCheck({ id: 'nan-origin', title: 'NaN/Inf origin', cost: 'cheap' }, async (ctx): Promise<Finding> => {
    const model = ctx.model;
    model.train();
    const batch = ctx.trainBatch(batchSize, ctx.seed);
    try {
      const rng = torch.getRngState();
      const first = forwardBackward(ctx, model, batch.inputs, batch.targets);
      model.zeroGrad();
      if (Number.isFinite(first.loss) && first.badGrads.length === 0) {
        rng.dispose();
        return {
          verdict: 'pass',
          summary: `loss (${first.loss.toPrecision(4)}) and every gradient are finite on a batch of ${batch.inputs.shape[0]}`,
          evidence: { loss: first.loss, batchSize: batch.inputs.shape[0]! },
        };
      }
      // Same dropout masks on the rerun.
      torch.setRngState(rng);
      rng.dispose();
      const where = locate(ctx, model, batch.inputs, batch.targets);
      const what = Number.isFinite(first.loss) ? `the loss is finite (${first.loss.toPrecision(4)}) but gradients of ${first.badGrads.join(', ')} are not` : `the loss is ${first.loss}`;
      const origin = where.op
        ? `first non-finite value from op ${where.op}${where.module ? ` in ${where.module}` : where.phase === 'loss' ? ' in the loss function' : where.phase === 'backward' ? ' in the backward pass' : ''}`
        : 'anomaly mode could not name the op';
      return {
        verdict: 'fail',
        summary: `${what}; ${origin}`,
        evidence: {
          loss: Number.isFinite(first.loss) ? first.loss : String(first.loss),
          nonFiniteGradients: first.badGrads,
          op: where.op,
          module: where.module,
          phase: where.phase,
          anomaly: where.message,
        },
        fix: `Look at ${where.op ?? 'the op'}${where.module ? ` in ${where.module}` : ''}: guard its input's domain (log/sqrt/div of values ≤ 0: clamp with an epsilon, use log_softmax/logsumexp instead of log(softmax)), `
          + 'check the input data for NaN, and lower the learning rate or clip gradients if values explode.',
      };
    } finally {
      batch.inputs.dispose();
      batch.targets.dispose();
    }
  });
}

export const NAN_ORIGIN: Check = nanOrigin();
