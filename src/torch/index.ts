// The `torch` namespace: generated ops plus the hand-written core, shaped like PyTorch's.

import { functions } from './methods.js';
import { Tensor, Slice, slice, describe } from './tensor.js';
import { tensor, fromTypedArray } from './creation.js';
import { tidy, keep, scope, Scope, scopeDepth, leaks } from './scope.js';
import * as autograd from './autograd.js';
import * as modes from './modes.js';
import * as cuda from './cuda.js';
import { has } from './dispatch.js';
import { autocast, isAutocastEnabled, GradScaler } from './amp.js';
import { TorchError, TorchOOMError, AnomalyError } from './errors.js';
import { setPrintOptions, printOptions } from './format.js';
import type { GeneratedFunctions } from './gen/ops.js';
import * as safetensors from './safetensors.js';
import { fastObject } from './native.js';

const core = {
  Tensor,
  tensor,
  fromTypedArray,
  slice,
  tidy,
  keep,
  scope,
  scopeDepth,
  leaks,
  noGrad: autograd.noGrad,
  enableGrad: autograd.enableGrad,
  inferenceMode: autograd.inferenceMode,
  isGradEnabled: autograd.isGradEnabled,
  setGradEnabled: autograd.setGradEnabled,
  isInferenceModeEnabled: autograd.isInferenceModeEnabled,
  detectAnomaly: autograd.detectAnomaly,
  setDetectAnomaly: autograd.setDetectAnomaly,
  autograd: { grad: autograd.grad, backward: autograd.backward, detectAnomaly: autograd.detectAnomaly },
  manualSeed: modes.manualSeed,
  seed: modes.manualSeed,
  initialSeed: modes.initialSeed,
  getRngState: modes.getRngState,
  setRngState: modes.setRngState,
  useDeterministicAlgorithms: modes.useDeterministicAlgorithms,
  areDeterministicAlgorithmsEnabled: modes.areDeterministicAlgorithmsEnabled,
  setNumThreads: modes.setNumThreads,
  getNumThreads: modes.getNumThreads,
  memory: modes.memory,
  libtorchVersion: modes.libtorchVersion,
  cuda,
  has,
  autocast,
  isAutocastEnabled,
  amp: { autocast, GradScaler },
  safetensors,
  GradScaler,
  setPrintOptions,
  printOptions,
  describe,
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', int8: 'int8',
  uint8: 'uint8', bool: 'bool', complex64: 'complex64', complex128: 'complex128',
} as const;

export type Torch = GeneratedFunctions & typeof core;

/** PyTorch's `torch`, for TypeScript: torch.randn(2, 3), torch.add(x, y), torch.noGrad(() => ...). */
// Null prototype, as PyTorch's module has no inherited names; fastObject keeps lookups off V8's
// dictionary path (an Object.create(null) object is a dictionary from the start).
export const torch: Torch = Object.setPrototypeOf(fastObject({ ...functions, ...core }), null) as Torch;

export { GradScaler, safetensors };
export type { GradScalerOptions, GradScalerState, ScalableOptimizer, AutocastOptions } from './amp.js';
export { Tensor, Slice, slice, tensor, fromTypedArray, tidy, keep, scope, Scope, TorchError, TorchOOMError, AnomalyError };
export type { DType, Scalar, DeviceLike, MemoryFormat, Layout } from './types.js';
export type { IndexItem, NestedArray, AnyTypedArray, ToOptions, BackwardOptions } from './tensor.js';
export type { TensorOptions } from './creation.js';
export type { MemoryStats } from './modes.js';
