// The built-in models by name, as configs select them: create('resnet', { preset: 'resnet20' }).

import type { AnyModule } from '../nn/module.js';
import { MLP, type MLPOptions, MLP_CHECKS } from './mlp.js';
import { SmallCNN, type SmallCNNOptions, CNN_CHECKS } from './cnn.js';
import { ResNet, type ResNetOptions, RESNET_CHECKS } from './resnet.js';
import { UNet, type UNetOptions, UNET_CHECKS } from './unet.js';
import { ModelConfigError, show } from './options.js';

export interface ModelOptions {
  mlp: MLPOptions;
  cnn: SmallCNNOptions;
  resnet: ResNetOptions;
  unet: UNetOptions;
}
export type ModelName = keyof ModelOptions;

const REGISTRY: { [K in ModelName]: { make: (o: ModelOptions[K]) => AnyModule; options: string[]; description: string } } = {
  mlp: { make: (o) => new MLP(o), options: Object.keys(MLP_CHECKS), description: 'Flatten, Linear+activation+Dropout per hidden layer, Linear' },
  cnn: { make: (o) => new SmallCNN(o), options: Object.keys(CNN_CHECKS), description: 'the small CNN: conv blocks (conv 3×3, BN, ReLU, max-pool), Dropout, Linear, ReLU, Linear' },
  resnet: { make: (o) => new ResNet(o), options: Object.keys(RESNET_CHECKS), description: 'CIFAR-style ResNet (presets resnet8, resnet20)' },
  unet: { make: (o) => new UNet(o), options: Object.keys(UNET_CHECKS), description: 'U-Net for inpainting: [B, C+1, H, W] (image, hole mask) to [B, C, H, W]; skips, dilated bottleneck, standard/partial/gated convs' },
};

/** The names create() takes. */
export function names(): ModelName[] {
  return Object.keys(REGISTRY) as ModelName[];
}

/** The options a model takes, and a one-line description. */
export function info(name: ModelName): { options: string[]; description: string } {
  const r = entry(name);
  return { options: [...r.options], description: r.description };
}

function entry(name: string): (typeof REGISTRY)[ModelName] {
  if (typeof name !== 'string' || !Object.hasOwn(REGISTRY, name)) {
    throw new ModelConfigError(`unknown model ${show(name)}; the models are: ${names().join(', ')}`, { allowed: names() });
  }
  return REGISTRY[name as ModelName];
}

/**
 * A new model with PyTorch-default initialisation (seed with torch.manualSeed first for a
 * reproducible one). Unknown names, unknown options and bad values throw a ModelConfigError.
 */
export function create<K extends ModelName>(name: K, options?: ModelOptions[K]): AnyModule;
export function create(name: string, options?: Record<string, unknown>): AnyModule;
export function create(name: string, options: unknown = {}): AnyModule {
  const r = entry(name) as { make: (o: unknown) => AnyModule };
  return r.make(options ?? {});
}
