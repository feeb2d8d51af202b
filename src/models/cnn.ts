// SmallCNN: the seeds' small CNN (examples/fashion-cnn.ts). A Sequential, so its state dict keys are
// PyTorch's nn.Sequential ones and a checkpoint of the example's model loads into the default one.

import { Sequential } from '../nn/containers.js';
import { BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU } from '../nn/layers/index.js';
import { ModelConfigError, bool, checkOptions, imageShape, imageSize, posInt, posIntArray, probability, show } from './options.js';

export interface SmallCNNOptions {
  inChannels?: number;
  numClasses?: number;
  /** Input side length, or [height, width] (default 28). */
  imageSize?: number | [number, number];
  /** Another way to give inChannels and imageSize: the example's shape [C, H, W]. */
  inputShape?: [number, number, number];
  /** Conv widths, one conv block (conv 3×3, [BN], ReLU, max-pool 2) each (default [32, 64]). */
  channels?: number[];
  /** Width of the hidden Linear layer (default 128). */
  hidden?: number;
  /** Dropout before the first Linear (default 0.3; 0 leaves the layer out). */
  dropout?: number;
  /** BatchNorm2d after each conv (default true). */
  batchNorm?: boolean;
}

export interface SmallCNNConfig {
  inChannels: number;
  numClasses: number;
  imageSize: [number, number];
  channels: number[];
  hidden: number;
  dropout: number;
  batchNorm: boolean;
}

export const CNN_CHECKS = {
  inChannels: posInt,
  numClasses: posInt,
  imageSize,
  inputShape: imageShape,
  channels: posIntArray(1),
  hidden: posInt,
  dropout: probability,
  batchNorm: bool,
};

/** inChannels and the image size from inputShape, checked against the separate options. */
export function imageInput(model: string, o: { inChannels?: number; imageSize?: number | [number, number]; inputShape?: [number, number, number] }, allowed: string[]): { inChannels: number; imageSize: [number, number] } {
  const size = o.imageSize === undefined ? undefined : typeof o.imageSize === 'number' ? [o.imageSize, o.imageSize] as [number, number] : o.imageSize;
  if (o.inputShape !== undefined) {
    const [c, h, w] = o.inputShape;
    if (o.inChannels !== undefined && o.inChannels !== c) {
      throw new ModelConfigError(`${model}: option 'inChannels' (${o.inChannels}) disagrees with inputShape ${show(o.inputShape)}`, { option: 'inChannels', allowed });
    }
    if (size !== undefined && (size[0] !== h || size[1] !== w)) {
      throw new ModelConfigError(`${model}: option 'imageSize' (${show(o.imageSize)}) disagrees with inputShape ${show(o.inputShape)}`, { option: 'imageSize', allowed });
    }
    return { inChannels: c, imageSize: [h, w] };
  }
  return { inChannels: o.inChannels ?? 1, imageSize: size ?? [28, 28] };
}

export function cnnConfig(options: unknown): SmallCNNConfig {
  const o = checkOptions('cnn', options, CNN_CHECKS);
  const allowed = Object.keys(CNN_CHECKS);
  const c: SmallCNNConfig = {
    ...imageInput('cnn', o, allowed),
    numClasses: o.numClasses ?? 10,
    channels: o.channels ?? [32, 64],
    hidden: o.hidden ?? 128,
    dropout: o.dropout ?? 0.3,
    batchNorm: o.batchNorm ?? true,
  };
  const [h, w] = c.imageSize;
  if (Math.min(h, w) >> c.channels.length === 0) {
    throw new ModelConfigError(`cnn: ${c.channels.length} conv blocks halve the image ${c.channels.length} times, too many for ${h}×${w}; use fewer channels entries or a larger imageSize`, { option: 'channels', allowed });
  }
  return c;
}

/**
 * Per width in `channels`: Conv2d(prev, c, 3, padding 1), BatchNorm2d(c), ReLU, MaxPool2d(2); then
 * Flatten, Dropout, Linear(c·h·w, hidden), ReLU, Linear(hidden, numClasses). For the defaults this is
 * exactly the seeds' model: conv32-conv64 with batch norm on 28×28, 421,834 parameters.
 */
export class SmallCNN extends Sequential {
  readonly config: SmallCNNConfig;
  constructor(options: SmallCNNOptions = {}) {
    super();
    const c = cnnConfig(options);
    this.config = c;
    let [h, w] = c.imageSize;
    let prev = c.inChannels;
    for (const ch of c.channels) {
      this.append(new Conv2d(prev, ch, 3, { padding: 1 }));
      if (c.batchNorm) this.append(new BatchNorm2d(ch));
      this.append(new ReLU());
      this.append(new MaxPool2d(2));
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      prev = ch;
    }
    this.append(new Flatten());
    if (c.dropout > 0) this.append(new Dropout(c.dropout));
    this.append(new Linear(prev * h * w, c.hidden));
    this.append(new ReLU());
    this.append(new Linear(c.hidden, c.numClasses));
  }
}
