// Convolution layers (torch.nn.Conv1d/2d/3d, ConvTranspose1d/2d), with PyTorch 1.13's constructor
// checks, padding modes and parameter initialisation.

import { torch, type Tensor } from '../../torch/index.js';
import { Module, Parameter } from '../module.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { checkBool, checkInt, describeValue, factory, ntuple, pyStr, valueError, type FactoryOptions } from './util.js';

/** How the input is padded: zeros (inside the convolution) or by F.pad with this mode. */
export type ConvPaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvOptions extends FactoryOptions {
  stride?: number | number[];
  /** Padding per side, or 'same' (stride 1 only) or 'valid' (no padding). */
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  paddingMode?: ConvPaddingMode;
}

export interface ConvTransposeOptions extends FactoryOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | number[];
  paddingMode?: 'zeros';
}

const PADDING_MODES = ['zeros', 'reflect', 'replicate', 'circular'];

/** What _ConvNd holds; Conv*d and ConvTranspose*d differ in the weight's layout and the forward. */
abstract class ConvNd<In extends unknown[] = [Tensor]> extends Module<In, Tensor> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: ConvPaddingMode;
  weight: Tensor;
  bias: Tensor | null;
  /** The padding F.pad takes for a non-zeros paddingMode: last dimension first, left and right. */
  protected readonly _reversedPaddingRepeatedTwice: number[];

  constructor(name: string, n: number, inChannels: number, outChannels: number, kernelSize: number | number[], transposed: boolean,
    opts: ConvOptions & { outputPadding?: number | number[] }) {
    super();
    checkInt(inChannels, name, 'inChannels', 0);
    checkInt(outChannels, name, 'outChannels', 0);
    const groups = opts.groups ?? 1;
    if (typeof groups !== 'number' || !Number.isInteger(groups) || groups <= 0) throw valueError(`${name}: groups must be a positive integer, got ${describeValue(groups)}`);
    if (inChannels % groups !== 0) throw valueError(`${name}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw valueError(`${name}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    const k = ntuple(kernelSize, n, name, 'kernelSize', 1);
    const stride = ntuple(opts.stride ?? 1, n, name, 'stride', 1);
    const dilation = ntuple(opts.dilation ?? 1, n, name, 'dilation', 1);
    const p = opts.padding ?? 0;
    let padding: number[] | 'same' | 'valid';
    if (typeof p === 'string') {
      if (transposed) throw valueError(`${name}: padding must be integers; '${p}' is not supported for transposed convolutions`);
      if (p !== 'same' && p !== 'valid') throw valueError(`${name}: invalid padding string '${p}', should be one of 'same', 'valid'`);
      if (p === 'same' && stride.some((s) => s !== 1)) throw valueError(`${name}: padding='same' is not supported for strided convolutions`);
      padding = p;
    } else {
      padding = ntuple(p, n, name, 'padding', 0);
    }
    const paddingMode = opts.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(paddingMode)) throw valueError(`${name}: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular', but got ${describeValue(paddingMode)}`);
    if (transposed && paddingMode !== 'zeros') throw valueError(`${name}: only 'zeros' padding mode is supported for ${name}`);
    const bias = opts.bias ?? true;
    checkBool(bias, name, 'bias');
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.transposed = transposed;
    this.outputPadding = ntuple(opts.outputPadding ?? 0, n, name, 'outputPadding', 0);
    this.groups = groups;
    this.paddingMode = paddingMode;
    if (typeof padding === 'string') {
      this._reversedPaddingRepeatedTwice = new Array<number>(2 * n).fill(0);
      if (padding === 'same') {
        for (let d = 0; d < n; d++) {
          const i = n - 1 - d;
          const total = dilation[d]! * (k[d]! - 1);
          const left = Math.floor(total / 2);
          this._reversedPaddingRepeatedTwice[2 * i] = left;
          this._reversedPaddingRepeatedTwice[2 * i + 1] = total - left;
        }
      }
    } else {
      this._reversedPaddingRepeatedTwice = [...padding].reverse().flatMap((v) => [v, v]);
    }
    const shape = transposed ? [inChannels, outChannels / groups, ...k] : [outChannels, inChannels / groups, ...k];
    this.weight = Parameter(torch.empty(shape, factory(opts)));
    this.bias = bias ? Parameter(torch.empty([outChannels], factory(opts))) : null;
    this.resetParameters();
  }

  /** PyTorch 1.13's reset_parameters: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias. */
  resetParameters(): void {
    resetConvParameters(this.weight, this.bias);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyStr(this.kernelSize)}, stride=${pyStr(this.stride)}`;
    if (typeof this.padding === 'string' || this.padding.some((v) => v !== 0)) s += `, padding=${pyStr(this.padding)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${pyStr(this.dilation)}`;
    if (this.outputPadding.some((v) => v !== 0)) s += `, output_padding=${pyStr(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

abstract class ConvForward extends ConvNd {
  protected abstract readonly _fn: (input: Tensor, weight: Tensor, bias: Tensor | null, opts: F.ConvOptions) => Tensor;

  override forward(input: Tensor): Tensor {
    const base = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode !== 'zeros') {
      return torch.tidy(() => this._fn(F.pad(input, this._reversedPaddingRepeatedTwice, this.paddingMode as F.PadMode), this.weight, this.bias, { ...base, padding: 0 }));
    }
    return this._fn(input, this.weight, this.bias, { ...base, padding: this.padding });
  }
}

/** 1-D convolution over (N, C_in, L) input (nn.Conv1d). */
export class Conv1d extends ConvForward {
  protected readonly _fn = F.conv1d;
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, false, opts);
  }
}

/** 2-D convolution over (N, C_in, H, W) input (nn.Conv2d). */
export class Conv2d extends ConvForward {
  protected readonly _fn = F.conv2d;
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, false, opts);
  }
}

/** 3-D convolution over (N, C_in, D, H, W) input (nn.Conv3d). */
export class Conv3d extends ConvForward {
  protected readonly _fn = F.conv3d;
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, false, opts);
  }
}

abstract class ConvTransposeNd extends ConvNd<[input: Tensor, outputSize?: number[]]> {
  protected abstract readonly _n: number;
  protected abstract readonly _fn: (input: Tensor, weight: Tensor, bias: Tensor | null, opts: F.ConvTransposeOptions) => Tensor;

  /** The output padding that gives `outputSize` (PyTorch's _output_padding). */
  protected _outputPaddingFor(input: Tensor, outputSize: number[] | undefined): number[] {
    if (outputSize === undefined) return this.outputPadding;
    const n = this._n;
    const name = this.constructor.name;
    const nonSpatial = input.ndim === n + 2 ? 2 : 1;
    let size = outputSize;
    if (size.length === nonSpatial + n) size = size.slice(nonSpatial);
    if (size.length !== n) throw valueError(`${name}: outputSize must have ${n} or ${nonSpatial + n} elements (got ${size.length})`);
    const padding = this.padding as number[];
    const minSizes: number[] = [];
    const maxSizes: number[] = [];
    for (let d = 0; d < n; d++) {
      const dimSize = (input.shape[d + nonSpatial]! - 1) * this.stride[d]! - 2 * padding[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1;
      minSizes.push(dimSize);
      maxSizes.push(dimSize + this.stride[d]! - 1);
    }
    size.forEach((s, i) => {
      if (s < minSizes[i]! || s > maxSizes[i]!) {
        throw valueError(`${name}: requested an output size of [${size.join(', ')}], but valid sizes range from [${minSizes.join(', ')}] to [${maxSizes.join(', ')}] (for an input of ${describeValue(input.shape.slice(nonSpatial))})`);
      }
    });
    return size.map((s, d) => s - minSizes[d]!);
  }

  /** `outputSize` picks among the output sizes a strided transposed convolution can give. */
  override forward(input: Tensor, outputSize?: number[]): Tensor {
    const outputPadding = this._outputPaddingFor(input, outputSize);
    return this._fn(input, this.weight, this.bias, {
      stride: this.stride, padding: this.padding as number[], outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }
}

/** 1-D transposed convolution (nn.ConvTranspose1d); the weight is (C_in, C_out/groups, kL). */
export class ConvTranspose1d extends ConvTransposeNd {
  protected readonly _n = 1;
  protected readonly _fn = F.convTranspose1d;
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvTransposeOptions = {}) {
    super('ConvTranspose1d', 1, inChannels, outChannels, kernelSize, true, opts);
  }
}

/** 2-D transposed convolution (nn.ConvTranspose2d); the weight is (C_in, C_out/groups, kH, kW). */
export class ConvTranspose2d extends ConvTransposeNd {
  protected readonly _n = 2;
  protected readonly _fn = F.convTranspose2d;
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvTransposeOptions = {}) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, true, opts);
  }
}

/** PyTorch 1.13's _ConvNd.reset_parameters: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias. */
export function resetConvParameters(weight: Tensor, bias: Tensor | null): void {
  init.kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const [fanIn] = init.calculateFanInAndFanOut(weight);
    if (fanIn !== 0) {
      const bound = 1 / Math.sqrt(fanIn);
      init.uniform_(bias, -bound, bound);
    }
  }
}
