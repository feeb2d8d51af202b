// Sous: a deep-learning workbench for TypeScript on libtorch.
export * from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as models from './models/index.js';
export * as config from './config/index.js';
export * as train from './train/index.js';
export * as experiment from './experiment/index.js';
export { Trainer, type TrainerOptions, type Callback, type FitResult } from './train/index.js';
export { trainRun, loadExperiment } from './experiment/index.js';
export * as checks from './checks/index.js';
export { runChecks, ALL_CHECKS, contextFromTensors as doctorContext } from './checks/index.js';
export { doctor } from './experiment/index.js';
export * as track from './track/index.js';
export * as inpaint from './inpaint/index.js';
