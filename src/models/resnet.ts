// A CIFAR-style ResNet for small images (28×28, 32×32): a 3×3 stem conv without max-pool, stages of
// BasicBlocks at strides 1, 2, 2, ..., global average pooling and a Linear head. Names follow
// torchvision's ResNet (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc), so the state dict
// keys are those of the PyTorch definition in docs/models.md.

import type { Tensor } from '../torch/index.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/containers.js';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, ReLU } from '../nn/layers/index.js';
import { ModelConfigError, checkOptions, imageShape, imageSize, oneOf, posInt, posIntArray, show, type Check } from './options.js';
import { imageInput } from './cnn.js';

/**
 * Two 3×3 conv + BN with a ReLU between and after the sum with the shortcut: the identity, or a 1×1
 * conv + BN ('downsample') when the stride or the width changes.
 */
export class BasicBlock extends Module {
  declare readonly conv1: Conv2d;
  declare readonly bn1: BatchNorm2d;
  declare readonly relu: ReLU;
  declare readonly conv2: Conv2d;
  declare readonly bn2: BatchNorm2d;
  declare readonly downsample: Sequential | null;
  readonly expansion = 1;

  constructor(inPlanes: number, planes: number, stride = 1) {
    super();
    this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('relu', new ReLU());
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    if (stride !== 1 || inPlanes !== planes) {
      this.registerModule('downsample', new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false }), new BatchNorm2d(planes)));
    } else {
      (this as { downsample: Sequential | null }).downsample = null;
    }
  }

  override forward(x: Tensor): Tensor {
    const out = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
    const identity = this.downsample === null ? x : this.downsample.call(x);
    return this.relu.call(out.add(identity));
  }
}

export const RESNET_PRESETS = {
  /** 3 stages of 1 block, widths 32/64/128 (0.3 M parameters). */
  resnet8: { widths: [32, 64, 128], blocks: [1, 1, 1] },
  /** He et al.'s CIFAR ResNet-20: 3 stages of 3 blocks, widths 16/32/64 (0.27 M parameters). */
  resnet20: { widths: [16, 32, 64], blocks: [3, 3, 3] },
} as const;
export type ResNetPreset = keyof typeof RESNET_PRESETS;
export const RESNET_PRESET_NAMES = Object.keys(RESNET_PRESETS) as ResNetPreset[];

export interface ResNetOptions {
  /** Starting point for widths and blocks (default 'resnet8'); the other options override it. */
  preset?: ResNetPreset;
  inChannels?: number;
  numClasses?: number;
  /** [C, H, W]: sets inChannels (the model works for any H, W ≥ 4). */
  inputShape?: [number, number, number];
  /** Accepted for configs that give every image model one; not used (global pooling). */
  imageSize?: number | [number, number];
  /** Channels per stage; stage i > 0 halves the resolution. */
  widths?: number[];
  /** BasicBlocks per stage: one number for every stage, or one per stage. */
  blocks?: number | number[];
  /** Total depth 2 + 2·(blocks per stage)·(stages) (8, 14, 20, 32, 44, 56, 110 for 3 stages); the alternative to blocks. */
  depth?: number;
}

export interface ResNetConfig {
  inChannels: number;
  numClasses: number;
  widths: number[];
  blocks: number[];
}

const blocksCheck: Check<number | number[]> = (v, fail) =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : posIntArray(1)(v, () => fail('a positive integer or an array of positive integers (blocks per stage)'));

export const RESNET_CHECKS = {
  preset: oneOf(RESNET_PRESET_NAMES),
  inChannels: posInt,
  numClasses: posInt,
  inputShape: imageShape,
  imageSize,
  widths: posIntArray(1),
  blocks: blocksCheck,
  depth: posInt,
};

export function resnetConfig(options: unknown): ResNetConfig {
  const o = checkOptions('resnet', options, RESNET_CHECKS);
  const allowed = Object.keys(RESNET_CHECKS);
  const fail = (option: string, msg: string): never => { throw new ModelConfigError(`resnet: ${msg}`, { option, allowed }); };
  const preset = RESNET_PRESETS[o.preset ?? 'resnet8'];
  const { inChannels } = imageInput('resnet', o, allowed);
  const widths = o.widths ?? [...preset.widths];
  const stages = widths.length;
  let blocks: number[];
  if (o.depth !== undefined) {
    if (o.blocks !== undefined) fail('depth', "give either 'depth' or 'blocks', not both");
    const n = (o.depth - 2) / (2 * stages);
    if (!Number.isInteger(n) || n < 1) fail('depth', `depth ${o.depth} is not 2 + 2·n·${stages} (n ≥ 1) for ${stages} stages; try ${[1, 2, 3, 5].map((k) => 2 + 2 * k * stages).join(', ')}`);
    blocks = new Array<number>(stages).fill(n);
  } else if (o.blocks !== undefined) {
    blocks = typeof o.blocks === 'number' ? new Array<number>(stages).fill(o.blocks) : o.blocks;
  } else {
    blocks = o.widths !== undefined && o.widths.length !== preset.blocks.length ? new Array<number>(stages).fill(preset.blocks[0]) : [...preset.blocks];
  }
  if (blocks.length !== stages) fail('blocks', `blocks ${show(blocks)} has ${blocks.length} entries for ${stages} stages (widths ${show(widths)})`);
  return { inChannels, numClasses: o.numClasses ?? 10, widths, blocks };
}

/**
 * conv1 (3×3, stride 1) + bn1 + relu, layer1..layerN (BasicBlocks; the first block of every stage
 * after the first has stride 2), avgpool (global) and fc. PyTorch-default initialisation.
 */
export class ResNet extends Module {
  declare readonly conv1: Conv2d;
  declare readonly bn1: BatchNorm2d;
  declare readonly relu: ReLU;
  declare readonly avgpool: AdaptiveAvgPool2d;
  declare readonly fc: Linear;
  readonly config: ResNetConfig;
  private readonly _stages: Sequential[] = [];

  constructor(options: ResNetOptions = {}) {
    super();
    const c = resnetConfig(options);
    this.config = c;
    const w0 = c.widths[0]!;
    this.registerModule('conv1', new Conv2d(c.inChannels, w0, 3, { padding: 1, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(w0));
    this.registerModule('relu', new ReLU());
    let inPlanes = w0;
    c.widths.forEach((planes, i) => {
      const stage = new Sequential();
      for (let b = 0; b < c.blocks[i]!; b++) {
        stage.append(new BasicBlock(inPlanes, planes, b === 0 && i > 0 ? 2 : 1));
        inPlanes = planes;
      }
      this._stages.push(this.registerModule(`layer${i + 1}`, stage));
    });
    this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.registerModule('fc', new Linear(inPlanes, c.numClasses));
  }

  /** The stages (layer1, layer2, ...). */
  get stages(): readonly Sequential[] {
    return this._stages;
  }

  override forward(x: Tensor): Tensor {
    let h = this.relu.call(this.bn1.call(this.conv1.call(x)));
    for (const s of this._stages) h = s.call(h);
    return this.fc.call(this.avgpool.call(h).flatten(1));
  }
}

/** ResNet-8: widths 32/64/128, one block per stage. */
export function resnet8(options: Omit<ResNetOptions, 'preset'> = {}): ResNet {
  return new ResNet({ ...options, preset: 'resnet8' });
}

/** ResNet-20 (He et al. 2016, CIFAR): widths 16/32/64, three blocks per stage. */
export function resnet20(options: Omit<ResNetOptions, 'preset'> = {}): ResNet {
  return new ResNet({ ...options, preset: 'resnet20' });
}
