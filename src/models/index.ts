// models: the built-in models that configs select by name, and user models from files.
export { ModelConfigError } from './options.js';
export { MLP, ACTIVATIONS, type Activation, type MLPOptions, type MLPConfig } from './mlp.js';
export { SmallCNN, type SmallCNNOptions, type SmallCNNConfig } from './cnn.js';
export { ResNet, BasicBlock, resnet8, resnet20, RESNET_PRESETS, type ResNetOptions, type ResNetConfig, type ResNetPreset } from './resnet.js';
export { UNet, UNetBlock, UNetConvUnit, UNET_CHECKS, type UNetOptions, type UNetConfig, type UNetConv, type UNetNorm, type UNetDown, type UNetUp, type UNetSkips, type UNetOutputActivation } from './unet.js';
export { create, names, info, type ModelName, type ModelOptions } from './registry.js';
export { loadModelFile } from './load.js';
export { modelCost, type ModelCost } from './macs.js';
