// The training model checks: they run the model (forward/backward, a few steps, short trainings)
// and restore every state they touch. Cheaper first.

import type { Check } from '../types.js';
import { NAN_ORIGIN } from './training/nan-origin.js';
import { GRADIENT_FLOW } from './training/gradient-flow.js';
import { UPDATE_RATIO } from './training/update-ratio.js';
import { OVERFIT_BATCH } from './training/overfit-batch.js';
import { INPUT_INDEPENDENT_BASELINE } from './training/input-independent.js';
import { LR_RANGE_TEST } from './training/lr-range-test.js';

export { nanOrigin, NAN_ORIGIN, type NanOriginOptions } from './training/nan-origin.js';
export { gradientFlow, GRADIENT_FLOW, type GradientFlowOptions } from './training/gradient-flow.js';
export { updateRatio, UPDATE_RATIO, type UpdateRatioOptions } from './training/update-ratio.js';
export { overfitBatch, OVERFIT_BATCH, type OverfitBatchOptions, type OverfitRun } from './training/overfit-batch.js';
export { inputIndependentBaseline, INPUT_INDEPENDENT_BASELINE, type InputIndependentOptions } from './training/input-independent.js';
export { lrRangeTest, LR_RANGE_TEST, suggest as suggestLr, type LrRangeOptions, type Sweep } from './training/lr-range-test.js';
export { preserveState, UpdateTracker, linePlot } from './training/common.js';

export const TRAINING_MODEL_CHECKS: Check[] = [
  NAN_ORIGIN,
  GRADIENT_FLOW,
  UPDATE_RATIO,
  OVERFIT_BATCH,
  INPUT_INDEPENDENT_BASELINE,
  LR_RANGE_TEST,
];
