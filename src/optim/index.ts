// torch.optim for Sous: optimizers, learning-rate schedulers and gradient clipping.
//
//   import { optim } from 'sous';
//   const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-2 });
//   const sched = new optim.lr_scheduler.CosineAnnealingLR(opt, { tMax: 100 });
//   opt.zeroGrad(); loss.backward(); optim.clipGradNorm_(model.parameters(), 1.0); opt.step(); sched.step();

export {
  Optimizer, OptimizerError, REQUIRED,
  type BaseOptions, type ParamGroup, type ParamGroupInput, type Params, type ParamState, type StateValue,
  type OptimizerStateDict, type ZeroGradOptions, type Closure,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamWOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { clipGradNorm_, clipGradNormTensor_, clipGradValue_, clip_grad_norm_, clip_grad_value_, type ClipGradNormOptions } from './clip.js';
export {
  LRScheduler, LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
  CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau,
  type SchedulerStateDict, type LrLambda, type OneCycleLROptions, type ReduceLROnPlateauOptions,
} from './lr_scheduler.js';
export * as lr_scheduler from './lr_scheduler.js';
