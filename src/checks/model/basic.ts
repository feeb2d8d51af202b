// The basic model checks, cheapest first: one forward (loss at init, output activation), one
// backward (dead parameters), a few backwards (batch independence), three training steps on a
// fresh model (step effect). All are 'cheap': they run before every `sous train`.

import type { Check } from '../types.js';
import { lossAtInit } from './basic/loss-at-init.js';
import { outputActivation } from './basic/output-activation.js';
import { deadParameters } from './basic/dead-parameters.js';
import { batchIndependence } from './basic/batch-independence.js';
import { stepEffect } from './basic/step-effect.js';

export { lossAtInit, applyInitBias, labelPrior, type LabelPrior } from './basic/loss-at-init.js';
export { outputActivation } from './basic/output-activation.js';
export { deadParameters } from './basic/dead-parameters.js';
export { batchIndependence } from './basic/batch-independence.js';
export { stepEffect } from './basic/step-effect.js';

export const BASIC_MODEL_CHECKS: Check[] = [lossAtInit, outputActivation, deadParameters, batchIndependence, stepEffect];
