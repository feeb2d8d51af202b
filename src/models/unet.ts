// A U-Net for image inpainting: an encoder of conv blocks and downsamplings, a bottleneck of dilated
// 3×3 convolutions, and a decoder that upsamples and concatenates the encoder's features of the same
// level (the skips that are on). Inputs are [B, C+1, H, W]: the image with its hole zeroed, then the
// hole mask (1 = hole) as the last channel; the output is the predicted image [B, outChannels, H, W].
// The convolutions are standard, partial (Liu et al. 2018; the mask is threaded through the whole
// network) or gated (Yu et al. 2019). State dict keys and initialisation are those of the PyTorch
// definition in docs/models.md.

import { torch, type Tensor } from '../torch/index.js';
import { Module, type AnyModule } from '../nn/module.js';
import { ModuleList } from '../nn/containers.js';
import * as F from '../nn/functional.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, GatedConv2d, Identity, MaxPool2d, PartialConv2d, ReLU, Sigmoid, Upsample } from '../nn/layers/index.js';
import { ModelConfigError, bool, checkOptions, imageShape, imageSize, oneOf, posInt, posIntArray, show, type Check } from './options.js';
import { imageInput } from './cnn.js';

export type UNetConv = 'standard' | 'partial' | 'gated';
export type UNetNorm = 'batch' | 'none';
export type UNetDown = 'maxpool' | 'conv';
export type UNetUp = 'transpose' | 'nearest' | 'bilinear';
export type UNetOutputActivation = 'sigmoid' | 'none';
/** Which encoder levels feed the decoder: all, none, all but the outermost (full-resolution) one, or one flag per level (outermost first). */
export type UNetSkips = 'all' | 'none' | 'inner' | boolean[];

export interface UNetOptions {
  /** [C_in, H, W]: C_in counts the mask channel when maskChannel is true (1×28×28 images: [2, 28, 28]). */
  inputShape?: [number, number, number];
  /** C_in, the other way to give it (default 2 with maskChannel, else 1). */
  inChannels?: number;
  /** Accepted and checked against inputShape; any size works. */
  imageSize?: number | [number, number];
  /** Output channels (default C_in - 1 with maskChannel, else C_in). */
  outChannels?: number;
  /** The last input channel is the hole mask, 1 = hole (default true). */
  maskChannel?: boolean;
  /** Encoder widths, one level each (two 3×3 conv + norm + ReLU, then a downsampling) (default [32, 64]). */
  channels?: number[];
  /** Which levels' features the decoder concatenates (default 'all'). */
  skips?: UNetSkips;
  /** One 3×3 conv + norm + ReLU per entry, with that dilation and padding = dilation (default [2, 4]). */
  dilations?: number[];
  /** Width of the bottleneck convs (default twice the last entry of channels). */
  bottleneckChannels?: number;
  /** The convolution of every 3×3 layer (default 'standard'). */
  conv?: UNetConv;
  /** BatchNorm2d after every 3×3 conv, or none (default 'batch'). */
  norm?: UNetNorm;
  /** Downsampling: 2×2 max-pool (ceil mode) or a stride-2 3×3 conv (default 'maxpool'). */
  down?: UNetDown;
  /** Upsampling: 2×2 stride-2 ConvTranspose2d to the level's width, or nearest/bilinear ×2 (default 'transpose'). */
  up?: UNetUp;
  /** On the 1×1 output conv (default 'sigmoid': images are in [0, 1]). */
  outputActivation?: UNetOutputActivation;
}

export interface UNetConfig {
  inChannels: number;
  outChannels: number;
  maskChannel: boolean;
  channels: number[];
  skips: boolean[];
  dilations: number[];
  bottleneckChannels: number;
  conv: UNetConv;
  norm: UNetNorm;
  down: UNetDown;
  up: UNetUp;
  outputActivation: UNetOutputActivation;
}

const skipsCheck: Check<UNetSkips> = (v, fail) =>
  v === 'all' || v === 'none' || v === 'inner' ? v
    : Array.isArray(v) && v.length > 0 && v.every((b) => typeof b === 'boolean') ? [...v] as boolean[]
      : fail("'all', 'none', 'inner' (all but the outermost) or an array of true/false, one per level of channels (outermost first)");

export const UNET_CHECKS = {
  inputShape: imageShape,
  inChannels: posInt,
  imageSize,
  outChannels: posInt,
  maskChannel: bool,
  channels: posIntArray(1),
  skips: skipsCheck,
  dilations: posIntArray(1),
  bottleneckChannels: posInt,
  conv: oneOf<UNetConv>(['standard', 'partial', 'gated']),
  norm: oneOf<UNetNorm>(['batch', 'none']),
  down: oneOf<UNetDown>(['maxpool', 'conv']),
  up: oneOf<UNetUp>(['transpose', 'nearest', 'bilinear']),
  outputActivation: oneOf<UNetOutputActivation>(['sigmoid', 'none']),
};

export function unetConfig(options: unknown): UNetConfig {
  const o = checkOptions('unet', options, UNET_CHECKS);
  const allowed = Object.keys(UNET_CHECKS);
  const fail = (option: string, msg: string): never => { throw new ModelConfigError(`unet: ${msg}`, { option, allowed }); };
  const maskChannel = o.maskChannel ?? true;
  const given = o.inputShape !== undefined || o.inChannels !== undefined;
  const { inChannels: c } = imageInput('unet', o, allowed);
  const inChannels = given ? c : maskChannel ? 2 : 1;
  if (maskChannel && inChannels < 2) {
    fail(o.inputShape !== undefined ? 'inputShape' : 'inChannels', `${inChannels} input channel${inChannels === 1 ? '' : 's'}, but maskChannel is true: the input is the image's C channels plus the hole mask as the last one, so C_in = C + 1 ≥ 2 (a 1×28×28 image gives inputShape [2, 28, 28])`);
  }
  const channels = o.channels ?? [32, 64];
  const levels = channels.length;
  let skips: boolean[];
  const s = o.skips ?? 'all';
  if (s === 'all') skips = new Array<boolean>(levels).fill(true);
  else if (s === 'none') skips = new Array<boolean>(levels).fill(false);
  else if (s === 'inner') skips = channels.map((_, i) => i > 0);
  else {
    if (s.length !== levels) fail('skips', `skips ${show(s)} has ${s.length} entr${s.length === 1 ? 'y' : 'ies'} for ${levels} level${levels === 1 ? '' : 's'} (channels ${show(channels)}); give one true/false per level, outermost first`);
    skips = s;
  }
  return {
    inChannels,
    outChannels: o.outChannels ?? (maskChannel ? inChannels - 1 : inChannels),
    maskChannel,
    channels,
    skips,
    dilations: o.dilations ?? [2, 4],
    bottleneckChannels: o.bottleneckChannels ?? 2 * channels[levels - 1]!,
    conv: o.conv ?? 'standard',
    norm: o.norm ?? 'batch',
    down: o.down ?? 'maxpool',
    up: o.up ?? 'transpose',
    outputActivation: o.outputActivation ?? 'sigmoid',
  };
}

/** A feature map and, for partial convolutions, its mask (1 = valid; one channel, or one per feature channel). */
type Maps = [x: Tensor, mask: Tensor | null];

function makeConv(kind: UNetConv, cin: number, cout: number, opts: { stride?: number; padding: number; dilation?: number }): AnyModule {
  switch (kind) {
    case 'standard': return new Conv2d(cin, cout, 3, opts);
    case 'partial': return new PartialConv2d(cin, cout, 3, opts);
    case 'gated': return new GatedConv2d(cin, cout, 3, { ...opts, activation: 'none' });
  }
}

function runConv(conv: AnyModule, [x, m]: Maps): Maps {
  if (conv instanceof PartialConv2d) return conv.call(x, m);
  return [(conv as Module).call(x), m];
}

function makeNorm(norm: UNetNorm, c: number): AnyModule {
  return norm === 'batch' ? new BatchNorm2d(c) : new Identity();
}

/** conv (3×3, dilation d, padding d) → norm → ReLU: one bottleneck layer. */
export class UNetConvUnit extends Module<[x: Tensor, mask: Tensor | null], Maps> {
  declare readonly conv: AnyModule;
  declare readonly norm: AnyModule;
  declare readonly act: ReLU;
  constructor(cin: number, cout: number, kind: UNetConv, norm: UNetNorm, dilation = 1) {
    super();
    this.registerModule('conv', makeConv(kind, cin, cout, { padding: dilation, dilation }));
    this.registerModule('norm', makeNorm(norm, cout));
    this.registerModule('act', new ReLU());
  }
  override forward(x: Tensor, mask: Tensor | null): Maps {
    const [y, m] = runConv(this.conv, [x, mask]);
    return [this.act.call((this.norm as Module).call(y)), m];
  }
}

/** (conv 3×3 → norm → ReLU) × 2: one encoder or decoder level. */
export class UNetBlock extends Module<[x: Tensor, mask: Tensor | null], Maps> {
  declare readonly conv1: AnyModule;
  declare readonly norm1: AnyModule;
  declare readonly conv2: AnyModule;
  declare readonly norm2: AnyModule;
  declare readonly act: ReLU;
  constructor(cin: number, cout: number, kind: UNetConv, norm: UNetNorm) {
    super();
    this.registerModule('conv1', makeConv(kind, cin, cout, { padding: 1 }));
    this.registerModule('norm1', makeNorm(norm, cout));
    this.registerModule('conv2', makeConv(kind, cout, cout, { padding: 1 }));
    this.registerModule('norm2', makeNorm(norm, cout));
    this.registerModule('act', new ReLU());
  }
  override forward(x: Tensor, mask: Tensor | null): Maps {
    let [y, m] = runConv(this.conv1, [x, mask]);
    y = this.act.call((this.norm1 as Module).call(y));
    [y, m] = runConv(this.conv2, [y, m]);
    return [this.act.call((this.norm2 as Module).call(y)), m];
  }
}

/** The first h rows and w columns (the decoder's crop after a ×2 upsampling of a ceil-mode map). */
function crop(t: Tensor, h: number, w: number): Tensor {
  let out = t;
  if (out.shape[2]! > h) out = out.narrow(2, 0, h);
  if (out.shape[3]! > w) out = out.narrow(3, 0, w);
  return out;
}

/**
 * Level i (0 = full resolution) of the encoder is `enc.i` (UNetBlock) then `down.i` (MaxPool2d(2,
 * ceil_mode=True) or a stride-2 3×3 conv), so the maps go H → ⌈H/2⌉ → ... (28 → 14 → 7). Then
 * `bottleneck.j` (UNetConvUnit, dilation dilations[j]). Decoder level i: `up.i` (×2), a crop to the
 * size of level i, the concatenation of enc.i's output when skips[i], and `dec.i` (UNetBlock to
 * channels[i]). Last, `head` (1×1 Conv2d to outChannels) and `activation` (Sigmoid or Identity).
 *
 * With conv 'partial' the image channels are the input and 1 - mask the validity mask; each partial
 * conv updates the mask, max-pooling pools it (and zeroes the features at invalid pixels first), the
 * decoder upsamples it (nearest), and a skip concatenates it channel by channel with the features.
 */
export class UNet extends Module {
  declare readonly enc: ModuleList<UNetBlock>;
  declare readonly down: ModuleList;
  declare readonly bottleneck: ModuleList<UNetConvUnit>;
  declare readonly up: ModuleList;
  declare readonly dec: ModuleList<UNetBlock>;
  declare readonly head: Conv2d;
  declare readonly activation: AnyModule;
  readonly config: UNetConfig;

  constructor(options: UNetOptions = {}) {
    super();
    const c = unetConfig(options);
    this.config = c;
    const partial = c.conv === 'partial';
    const L = c.channels.length;
    // Created in the PyTorch definition's order (the initialisation draws from one generator).
    const encs: UNetBlock[] = [];
    const downs: AnyModule[] = [];
    let prev = partial && c.maskChannel ? c.inChannels - 1 : c.inChannels;
    for (const ch of c.channels) {
      encs.push(new UNetBlock(prev, ch, c.conv, c.norm));
      downs.push(c.down === 'maxpool' ? new MaxPool2d(2, { ceilMode: true }) : makeConv(c.conv, ch, ch, { stride: 2, padding: 1 }));
      prev = ch;
    }
    const bottleneck: UNetConvUnit[] = [];
    for (const d of c.dilations) {
      bottleneck.push(new UNetConvUnit(prev, c.bottleneckChannels, c.conv, c.norm, d));
      prev = c.bottleneckChannels;
    }
    const ups: AnyModule[] = [];
    const decs: UNetBlock[] = [];
    for (let i = L - 1; i >= 0; i--) {
      const ch = c.channels[i]!;
      let upOut: number;
      if (c.up === 'transpose') {
        ups.push(new ConvTranspose2d(prev, ch, 2, { stride: 2 }));
        upOut = ch;
      } else {
        ups.push(new Upsample({ scaleFactor: 2, mode: c.up }));
        upOut = prev;
      }
      decs.push(new UNetBlock(upOut + (c.skips[i] ? ch : 0), ch, c.conv, c.norm));
      prev = ch;
    }
    this.registerModule('enc', new ModuleList(encs));
    this.registerModule('down', new ModuleList(downs));
    this.registerModule('bottleneck', new ModuleList(bottleneck));
    this.registerModule('up', new ModuleList(ups.reverse()));
    this.registerModule('dec', new ModuleList(decs.reverse()));
    this.registerModule('head', new Conv2d(prev, c.outChannels, 1));
    this.registerModule('activation', c.outputActivation === 'sigmoid' ? new Sigmoid() : new Identity());
  }

  override forward(input: Tensor): Tensor {
    const c = this.config;
    if (input.ndim !== 4 || input.shape[1] !== c.inChannels) {
      throw new ModelConfigError(`unet: expected input [B, ${c.inChannels}, H, W]${c.maskChannel ? ` (the image's ${c.inChannels - 1} channel${c.inChannels === 2 ? '' : 's'}, then the hole mask)` : ''}, got [${input.shape.join(', ')}]`);
    }
    const partial = c.conv === 'partial';
    let x = input;
    let m: Tensor | null = null;
    if (partial) {
      if (c.maskChannel) {
        const k = c.inChannels - 1;
        x = input.narrow(1, 0, k);
        m = input.narrow(1, k, 1).detach().neg().add(1);
      } else {
        m = torch.ones([input.shape[0]!, 1, input.shape[2]!, input.shape[3]!], { dtype: input.dtype, device: input.device });
      }
    }
    const skips: Maps[] = [];
    const L = c.channels.length;
    for (let i = 0; i < L; i++) {
      [x, m] = this.enc.at(i).call(x, m);
      skips.push([x, m]);
      const down = this.down.at(i);
      if (down instanceof MaxPool2d) {
        const pool = down as MaxPool2d<false>;
        if (m !== null) {
          x = pool.call(x.mul(m));
          m = pool.call(m);
        } else {
          x = pool.call(x);
        }
      } else {
        [x, m] = runConv(down, [x, m]);
      }
    }
    for (const b of this.bottleneck) [x, m] = b.call(x, m);
    for (let i = L - 1; i >= 0; i--) {
      const [s, sm] = skips[i]!;
      const h = s.shape[2]!;
      const w = s.shape[3]!;
      x = crop((this.up.at(i) as Module).call(x), h, w);
      if (m !== null) m = crop(F.interpolate(m, { scaleFactor: 2, mode: 'nearest' }), h, w);
      if (c.skips[i]) {
        if (m !== null && sm !== null) {
          const [b] = x.shape as [number];
          m = torch.cat([m.expand([b, x.shape[1]!, h, w]), sm.expand([b, s.shape[1]!, h, w])], 1);
        }
        x = torch.cat([x, s], 1);
      }
      [x, m] = this.dec.at(i).call(x, m);
    }
    return (this.activation as Module).call(this.head.call(x));
  }
}
