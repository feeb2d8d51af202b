// Experiments: a config file in, a trained and tested run folder out. What `sous train` runs and what
// the doctor builds its checks on.

export { ExperimentConfig, InpaintConfig, DataConfig, ModelConfig, OptimConfig, ScheduleConfig, LossConfig, TrainerConfig } from './schema.js';
export { buildData, buildExperimentData, type ExperimentData } from './data.js';
export { buildModel, buildOptimizer, buildSchedule, buildLoss, buildMetrics, trainerOptions, modelOptions, monitorMode, monitorOf, checkTask } from './build.js';
export { DoctorFailedError } from './train.js';
export { experimentDoctor, runDoctor, doctor, type ExperimentDoctor, type DoctorOptions } from './doctor.js';
export { loadExperiment, buildExperiment, trainRun, type LoadedExperiment, type TrainRunOptions, type TrainRunResult } from './train.js';
export { openRun, type OpenRun } from './open-run.js';
export { inpaintingReport, type InpaintingReport, type MethodScores } from './inpaint-report.js';
