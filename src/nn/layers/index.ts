// The layers, one file per family.
export { Linear, type LinearOptions } from './linear.js';
export { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, type ConvOptions, type ConvTransposeOptions, type ConvPaddingMode } from './conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, type MaxPoolOptions, type AvgPoolOptions } from './pooling.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormOptions, type LayerNormOptions, type GroupNormOptions } from './normalization.js';
export { Dropout, Dropout2d, type DropoutOptions } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softmax, LogSoftmax, type InplaceOptions } from './activation.js';
export { Identity, Flatten, Unflatten, Upsample, type UpsampleOptions } from './shape.js';
export { PartialConv2d, GatedConv2d, GATED_ACTIVATIONS, type GatedActivation, type GatedConvOptions, type InpaintingConvOptions } from './inpainting-conv.js';
export type { FactoryOptions } from './util.js';
