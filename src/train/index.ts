// Training: the Trainer and its guard rails, checkpoints, metrics and run folders.

export { Trainer, TrainerError, type TrainerOptions, type FitResult, type FitStatus, type BatchLoader, type LossFn, type Precision, type SteppedSchedule } from './trainer.js';
export type { Callback, BatchEnd, EpochEnd, TrainerEvent, Metrics } from './callbacks.js';
export { captureSnapshot, restoreSnapshot, disposeSnapshot, saveCheckpoint, loadCheckpoint, saveWeights, CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Snapshot, type SnapshotJson, type Position, type TrainingParts } from './checkpoint.js';
export { LossWatch, WHEELS_DEFAULTS, wheelsOptions, type WheelsOptions } from './wheels.js';
export * from './metrics.js';
export { RunFolder, type RunRecord, type RunStatus } from './run-folder.js';
export { gitInfo, environment, type GitInfo, type Environment } from './run-info.js';
export { psnr, ssim, ssimWindow, psnrMetric, ssimMetric, ImageQualityMetric, type ImageScores, type PsnrOptions, type SsimOptions, type SsimPreset } from './image-metrics.js';
export { GraphedTrainStep, GraphedStepError, type GraphedTrainStepOptions } from './graph-step.js';
