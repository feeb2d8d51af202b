// Cost of a model per example: multiply-accumulates of its Conv2d, ConvTranspose2d, PartialConv2d
// and Linear layers (the rest — batch norm, activations, pooling, the residual adds, the partial
// convolutions' mask updates — is small next to them) and parameters.

import { torch } from '../torch/index.js';
import type { AnyModule, HookHandle } from '../nn/module.js';
import { Conv2d, ConvTranspose2d, Linear, PartialConv2d } from '../nn/layers/index.js';

export interface ModelCost {
  /** Multiply-accumulates of one forward pass for one example (conv, transposed conv, partial conv and linear layers). */
  macs: number;
  /** Parameter elements. */
  params: number;
}

/**
 * Measures a forward pass of one example of `inputShape` ([C, H, W], or [features]) in eval mode
 * without gradients; the modules' modes are restored after.
 */
export function modelCost(model: AnyModule, inputShape: number[]): ModelCost {
  let macs = 0;
  const handles: HookHandle[] = [];
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      handles.push(m.registerForwardHook((_m, _in, out) => {
        const o = out as { numel(): number };
        const k = m.kernelSize.reduce((a, b) => a * b, 1);
        macs += o.numel() * (m.inChannels / m.groups) * k;
      }));
    } else if (m instanceof ConvTranspose2d) {
      // every input element meets C_out/groups × k weights
      handles.push(m.registerForwardHook((_m, input) => {
        const x = input[0] as { numel(): number };
        const k = m.kernelSize.reduce((a, b) => a * b, 1);
        macs += x.numel() * (m.outChannels / m.groups) * k;
      }));
    } else if (m instanceof PartialConv2d) {
      handles.push(m.registerForwardHook((_m, _in, out) => {
        const o = (out as [{ numel(): number }])[0];
        macs += o.numel() * m.inChannels * m.kernelSize[0]! * m.kernelSize[1]!;
      }));
    } else if (m instanceof Linear) {
      handles.push(m.registerForwardHook((_m, _in, out) => {
        macs += (out as { numel(): number }).numel() * m.inFeatures;
      }));
    }
  }
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  try {
    torch.noGrad(() => torch.tidy(() => {
      const p = model.parameters()[0];
      model.call(torch.zeros([1, ...inputShape], p === undefined ? {} : { dtype: p.dtype, device: p.device }));
    }));
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of modes) m.training = t;
  }
  return { macs, params: model.numParameters() };
}
