// Convolutions for image inpainting: the partial convolution of Liu et al. 2018 ("Image Inpainting
// for Irregular Holes Using Partial Convolutions") and the gated convolution of Yu et al. 2019
// ("Free-Form Image Inpainting with Gated Convolution"). Their weights, initialisation and state
// dict keys are those of nn.Conv2d, so a PyTorch definition (docs/models.md) loads the same weights.

import { torch, type Tensor } from '../../torch/index.js';
import { Module, Parameter } from '../module.js';
import * as F from '../functional.js';
import { Conv2d, resetConvParameters } from './conv.js';
import { ELU, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation.js';
import { Identity } from './shape.js';
import { checkBool, checkInt, describeValue, factory, ntuple, pyStr, shapeOf, valueError, type FactoryOptions } from './util.js';

export interface InpaintingConvOptions extends FactoryOptions {
  stride?: number | number[];
  /** Zero padding per side (the mask is zero-padded too: outside the image counts as missing). */
  padding?: number | number[];
  dilation?: number | number[];
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * Partial convolution (Liu et al. 2018, eq. 1 and 2). With X the input window and M the mask window
 * (1 = valid, 0 = missing; outside the image counts as missing):
 *
 *   x' = Wᵀ(X ⊙ M) · sum(1)/sum(M) + b   if sum(M) > 0, else 0
 *   m' = 1                              if sum(M) > 0, else 0
 *
 * sum(1) and sum(M) run over the whole window, C_in × kH × kW. The mask may have one channel (shared
 * by all input channels) or C_in channels (one per input channel, as after concatenating feature maps
 * that have different masks); the updated mask always has one channel. The mask is not
 * differentiated. `forward(x, mask?)` returns [x', m']; without a mask every pixel is valid, which
 * leaves the rescaling at the borders only ("partial convolution based padding").
 *
 * Parameters: `weight` [C_out, C_in, kH, kW] and `bias` [C_out], initialised as nn.Conv2d's (so a
 * PyTorch `class PartialConv2d(nn.Conv2d)` has the same state dict).
 */
export class PartialConv2d extends Module<[input: Tensor, mask?: Tensor | null], [Tensor, Tensor]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: InpaintingConvOptions = {}) {
    super();
    const name = 'PartialConv2d';
    checkInt(inChannels, name, 'inChannels', 1);
    checkInt(outChannels, name, 'outChannels', 1);
    const bias = opts.bias ?? true;
    checkBool(bias, name, 'bias');
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(kernelSize, 2, name, 'kernelSize', 1);
    this.stride = ntuple(opts.stride ?? 1, 2, name, 'stride', 1);
    this.padding = ntuple(opts.padding ?? 0, 2, name, 'padding', 0);
    this.dilation = ntuple(opts.dilation ?? 1, 2, name, 'dilation', 1);
    this.weight = Parameter(torch.empty([outChannels, inChannels, ...this.kernelSize], factory(opts)));
    this.bias = bias ? Parameter(torch.empty([outChannels], factory(opts))) : null;
    this.resetParameters();
  }

  /** nn.Conv2d's reset_parameters: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias. */
  resetParameters(): void {
    resetConvParameters(this.weight, this.bias);
  }

  /**
   * The number of valid pixels per output window (summed over the mask's channels), the updated
   * mask and the rescaling factor sum(1)/sum(M) (0 where no pixel is valid). No gradients.
   */
  maskUpdate(mask: Tensor): { valid: Tensor; ratio: Tensor } {
    return torch.noGrad(() => torch.tidy(() => {
      const channels = mask.shape[1]!;
      const m = channels === 1 ? mask : mask.sum(1, true);
      const ones = torch.ones([1, 1, ...this.kernelSize], { dtype: mask.dtype, device: mask.device });
      const count = F.conv2d(m, ones, null, { stride: this.stride, padding: this.padding, dilation: this.dilation });
      const valid = count.gt(0).to(mask.dtype);
      const window = channels * this.kernelSize[0]! * this.kernelSize[1]!;
      const ratio = count.clamp_min(1e-8).reciprocal().mul(window).mul(valid);
      return { valid, ratio };
    }));
  }

  override forward(input: Tensor, mask?: Tensor | null): [Tensor, Tensor] {
    if (input.ndim !== 4) throw valueError(`PartialConv2d: expected (N, C, H, W) input, got ${shapeOf(input)}`);
    if (input.shape[1] !== this.inChannels) throw valueError(`PartialConv2d: expected input with ${this.inChannels} channels, got ${shapeOf(input)}`);
    const [n, c, h, w] = input.shape as [number, number, number, number];
    let m: Tensor;
    if (mask === undefined || mask === null) {
      m = torch.ones([n, 1, h, w], { dtype: input.dtype, device: input.device });
    } else {
      if (mask.ndim !== 4 || mask.shape[0] !== n || (mask.shape[1] !== 1 && mask.shape[1] !== c) || mask.shape[2] !== h || mask.shape[3] !== w) {
        throw valueError(`PartialConv2d: the mask must be (N, 1, H, W) or (N, C_in, H, W) for input ${shapeOf(input)}, got ${describeValue(mask.shape)}`);
      }
      m = mask.detach();
      if (m.dtype !== input.dtype) m = m.to(input.dtype);
    }
    const { valid, ratio } = this.maskUpdate(m);
    const raw = F.conv2d(input.mul(m), this.weight, null, { stride: this.stride, padding: this.padding, dilation: this.dilation });
    let out = raw.mul(ratio);
    if (this.bias !== null) out = out.add(this.bias.view([1, -1, 1, 1]).mul(valid));
    return [out, valid];
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyStr(this.kernelSize)}, stride=${pyStr(this.stride)}`;
    if (this.padding.some((v) => v !== 0)) s += `, padding=${pyStr(this.padding)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${pyStr(this.dilation)}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** φ of a gated convolution. */
export type GatedActivation = 'elu' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'none';
export const GATED_ACTIVATIONS: readonly GatedActivation[] = ['elu', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'none'];

export interface GatedConvOptions extends InpaintingConvOptions {
  /** φ applied to the features (default 'elu', as in DeepFill v2; 'none' is the identity). */
  activation?: GatedActivation;
}

function gatedActivation(a: GatedActivation): Module {
  switch (a) {
    case 'elu': return new ELU();
    case 'relu': return new ReLU();
    case 'leaky_relu': return new LeakyReLU(0.2);
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'none': return new Identity();
  }
}

/**
 * Gated convolution (Yu et al. 2019): one convolution `conv` with 2·C_out output channels, split
 * into features (the first C_out) and gate (the last C_out); the output is φ(features) ⊙ σ(gate).
 * The gate is a learned soft mask, so no mask is passed in: give the mask as an input channel.
 *
 * State dict: `conv.weight` [2·C_out, C_in, kH, kW], `conv.bias` [2·C_out]; φ is the child
 * `activation` (ELU, ReLU, LeakyReLU(0.2), Tanh, Sigmoid or Identity).
 */
export class GatedConv2d extends Module {
  declare readonly conv: Conv2d;
  declare readonly activation: Module;
  readonly outChannels: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: GatedConvOptions = {}) {
    super();
    checkInt(outChannels, 'GatedConv2d', 'outChannels', 1);
    const act = opts.activation ?? 'elu';
    if (!GATED_ACTIVATIONS.includes(act)) throw valueError(`GatedConv2d: activation must be one of ${GATED_ACTIVATIONS.join(', ')}, got ${describeValue(act)}`);
    this.outChannels = outChannels;
    const { activation: _a, ...conv } = opts;
    this.registerModule('conv', new Conv2d(inChannels, 2 * outChannels, kernelSize, conv));
    this.registerModule('activation', gatedActivation(act));
  }

  override forward(input: Tensor): Tensor {
    const [features, gate] = this.conv.call(input).chunk(2, 1) as [Tensor, Tensor];
    return (this.activation as Module).call(features).mul(gate.sigmoid());
  }
}
