// MLP: Flatten, then Linear + activation + Dropout per hidden layer, then a Linear head. A Sequential,
// so its state dict keys are PyTorch's nn.Sequential ones ('1.weight', '4.weight', ...).

import { Sequential } from '../nn/containers.js';
import type { AnyModule } from '../nn/module.js';
import { Dropout, ELU, Flatten, GELU, LeakyReLU, Linear, ReLU, SiLU, Tanh } from '../nn/layers/index.js';
import { checkOptions, oneOf, posInt, posIntArray, probability, required, shape } from './options.js';

export const ACTIVATIONS = ['relu', 'gelu', 'silu', 'tanh', 'elu', 'leaky_relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** A fresh activation layer by name (PyTorch defaults: GELU exact, LeakyReLU slope 0.01, ELU alpha 1). */
export function activationLayer(name: Activation): AnyModule {
  switch (name) {
    case 'relu': return new ReLU();
    case 'gelu': return new GELU();
    case 'silu': return new SiLU();
    case 'tanh': return new Tanh();
    case 'elu': return new ELU();
    case 'leaky_relu': return new LeakyReLU();
  }
}

export interface MLPOptions {
  /** Features per example, or the example's shape ([C, H, W]); it is flattened. */
  inputShape: number | number[];
  numClasses: number;
  /** Hidden layer widths (default [256, 128]; [] gives a linear model). */
  hidden?: number[];
  /** Dropout after each hidden activation (default 0.2; 0 leaves the Dropout layers out). */
  dropout?: number;
  activation?: Activation;
}

export type MLPConfig = Required<MLPOptions>;

export const MLP_CHECKS = {
  inputShape: shape,
  numClasses: posInt,
  hidden: posIntArray(0),
  dropout: probability,
  activation: oneOf(ACTIVATIONS),
};

export function mlpConfig(options: unknown): MLPConfig {
  const o = checkOptions('mlp', options, MLP_CHECKS);
  const allowed = Object.keys(MLP_CHECKS);
  return {
    inputShape: required('mlp', 'inputShape', o.inputShape, allowed),
    numClasses: required('mlp', 'numClasses', o.numClasses, allowed),
    hidden: o.hidden ?? [256, 128],
    dropout: o.dropout ?? 0.2,
    activation: o.activation ?? 'relu',
  };
}

/**
 * Flatten, [Linear, activation, Dropout] per hidden width, Linear. PyTorch's equivalent is
 * nn.Sequential(nn.Flatten(), nn.Linear(in, h0), nn.ReLU(), nn.Dropout(p), ..., nn.Linear(hN, classes)).
 */
export class MLP extends Sequential {
  readonly config: MLPConfig;
  constructor(options: MLPOptions) {
    super();
    const c = mlpConfig(options);
    this.config = c;
    let features = typeof c.inputShape === 'number' ? c.inputShape : c.inputShape.reduce((a, b) => a * b, 1);
    this.append(new Flatten());
    for (const h of c.hidden) {
      this.append(new Linear(features, h));
      this.append(activationLayer(c.activation));
      if (c.dropout > 0) this.append(new Dropout(c.dropout));
      features = h;
    }
    this.append(new Linear(features, c.numClasses));
  }
}
