// The doctor: the training recipe's checks as software. Each check gives a verdict, its evidence and
// a fix; runChecks runs them cheap first; the report goes to the terminal, JSON and HTML.

import { DATA_CHECKS } from './data/index.js';
import { BASIC_MODEL_CHECKS } from './model/basic.js';
import { TRAINING_MODEL_CHECKS } from './model/training.js';
import type { Check } from './types.js';

export type { Check, CheckResult, DoctorContext, Verdict, Evidence, Figure, SplitTensors, StepFn, Task } from './types.js';
export { contextFromTensors, standardStep, type ContextOptions } from './context.js';
export { runChecks, worst, type DoctorReport, type RunChecksOptions } from './runner.js';
export { formatReport, formatResult, reportHtml, reportJson, writeReport } from './report.js';
export { gridPng } from './figures.js';
export { DATA_CHECKS, BASIC_MODEL_CHECKS, TRAINING_MODEL_CHECKS };
export { applyInitBias } from './model/basic.js';

/** Every check, data first, in the order the runner keeps within each cost. */
export const ALL_CHECKS: readonly Check[] = [...DATA_CHECKS, ...BASIC_MODEL_CHECKS, ...TRAINING_MODEL_CHECKS];
