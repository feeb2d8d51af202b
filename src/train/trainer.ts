// The Trainer: the seeds' training pipeline (loader, model, loss, optimizer; loss and metrics per
// epoch; validation picks the best model; the test set is used once) with the guard rails they ask
// for: best checkpoint, early stopping, training wheels (rollback on NaN or a loss spike), atomic
// checkpoints that a killed run resumes from, bit for bit on CPU.
//
// Determinism on resume rests on three things: the loaders' order and augmentations are functions of
// (seed, epoch, index), so a data position is (epoch, batch); the torch generator's state is in the
// snapshot; and everything else that changes during training (optimizer, schedule, metrics so far,
// the loss watcher) is in the snapshot too.

import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { torch, Tensor, type DeviceLike } from '../torch/index.js';
import { GradScaler } from '../torch/amp.js';
import type { Module } from '../nn/index.js';
import { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau } from '../optim/lr_scheduler.js';
import { clipGradNorm_, clipGradValue_ } from '../optim/clip.js';
import type { Batch } from '../data/index.js';
import { captureSnapshot, restoreSnapshot, disposeSnapshot, saveCheckpoint, loadCheckpoint, saveWeights, type Snapshot, type Schedule, type TrainingParts } from './checkpoint.js';
import { LossWatch, wheelsOptions, type WheelsOptions, type LossWatchState } from './wheels.js';
import { Accuracy, MeanMetric, type Metric, type MetricState, type MetricValue } from './metrics.js';
import type { Callback, Metrics, TrainerEvent, BatchEnd, EpochEnd } from './callbacks.js';

/** What fit() iterates: the data loaders of src/data, or anything shaped like them. */
export interface BatchLoader {
  /** batches per epoch */
  readonly length: number;
  /** the epoch the next iteration runs, and how many of its batches to skip */
  setEpoch(epoch: number, startBatch?: number): void;
  [Symbol.asyncIterator](): AsyncIterator<Batch>;
  /** device-resident loaders augment only in training mode */
  train?(training?: boolean): unknown;
}

export type LossFn = ((outputs: Tensor, targets: Tensor) => Tensor) | { call(outputs: Tensor, targets: Tensor): Tensor };

/** A schedule the trainer steps: every scheduler of optim.lr_scheduler. */
export interface SteppedSchedule extends Schedule {
  step(): void;
}

export type Precision = '32' | 'bf16' | 'fp16';

export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer;
  loss: LossFn;
  scheduler?: SteppedSchedule | ReduceLROnPlateau;
  /** step the schedule after every optimizer step (default) or once per epoch */
  scheduleInterval?: 'step' | 'epoch';
  maxEpochs: number;
  /** stop after this many optimizer steps (default: no limit) */
  maxSteps?: number;
  /** where batches go (default: where the model's first parameter is) */
  device?: DeviceLike;
  gradClipNorm?: number;
  gradClipValue?: number;
  /** batches whose gradients are summed before each optimizer step (default 1) */
  accumulate?: number;
  /** '32' (default), 'bf16' (autocast, CPU or CUDA) or 'fp16' (autocast and a gradient scaler; CUDA) */
  precision?: Precision;
  /** metrics computed on training, validation and test batches (default: accuracy) */
  metrics?: () => Metric[];
  /** the validation metric that picks the best checkpoint and drives early stopping (default 'val/loss') */
  monitor?: string;
  /** default: 'min' for names with 'loss' in them, else 'max' */
  monitorMode?: 'min' | 'max';
  earlyStopping?: { patience: number; minDelta?: number } | false;
  /** where last.ckpt and best.safetensors go (default: none written) */
  checkpointDir?: string;
  /** optimizer steps between last.ckpt writes, besides each epoch's end (default: epoch ends only) */
  checkpointEvery?: number;
  /** training wheels options, or false to turn them off */
  wheels?: Partial<WheelsOptions> | false;
  callbacks?: Callback[];
  /** stored in checkpoints: the run id, the resolved config... */
  meta?: Record<string, unknown>;
}

export type FitStatus = 'completed' | 'early_stopped' | 'max_steps' | 'diverged' | 'interrupted';

export interface FitResult {
  status: FitStatus;
  epochs: number;
  steps: number;
  best: { metric: string; value: number; epoch: number; step: number } | null;
  history: EpochEnd[];
  events: TrainerEvent[];
  seconds: number;
}

/** The trainer's own counters, saved in every snapshot. */
interface TrainerState {
  best: { metric: string; value: number; epoch: number; step: number } | null;
  badEpochs: number;
  lrScale: number;
  /** the schedule's learning rates before lrScale */
  baseLrs: number[];
  watch: LossWatchState;
  rollbacks: number;
  trainMetrics: MetricState[];
  history: EpochEnd[];
  epochSeconds: number;
}

export class TrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

function lossOf(fn: LossFn, outputs: Tensor, targets: Tensor): Tensor {
  return typeof fn === 'function' ? fn(outputs, targets) : fn.call(outputs, targets);
}

export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly scheduler: SteppedSchedule | ReduceLROnPlateau | undefined;
  readonly opts: Required<Pick<TrainerOptions, 'scheduleInterval' | 'accumulate' | 'precision' | 'monitor' | 'monitorMode' | 'maxEpochs' | 'callbacks'>> & TrainerOptions & { monitorGiven: boolean };
  readonly wheels: WheelsOptions | null;
  readonly scaler: GradScaler | undefined;
  readonly events: TrainerEvent[] = [];
  /** optimizer steps taken */
  step = 0;
  epoch = 0;
  batchInEpoch = 0;
  private stopReason: string | null = null;
  private lastYield = 0;
  private state: TrainerState;
  private watch: LossWatch | null;
  private snapshot: Snapshot | null = null;
  private trainMetrics: Metric[] = [];

  constructor(opts: TrainerOptions) {
    if (opts === null || typeof opts !== 'object') throw new TrainerError('Trainer: options must be an object { model, optimizer, loss, maxEpochs, ... }');
    const known = ['model', 'optimizer', 'loss', 'scheduler', 'scheduleInterval', 'maxEpochs', 'maxSteps', 'device', 'gradClipNorm', 'gradClipValue', 'accumulate', 'precision', 'metrics', 'monitor', 'monitorMode', 'earlyStopping', 'checkpointDir', 'checkpointEvery', 'wheels', 'callbacks', 'meta'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new TrainerError(`Trainer: unknown option '${k}'; the options are ${known.join(', ')}`);
    if (opts.model === undefined || typeof (opts.model as Module).parameters !== 'function') throw new TrainerError('Trainer: model must be an nn.Module');
    if (!(opts.optimizer instanceof Optimizer)) throw new TrainerError('Trainer: optimizer must be one of optim (SGD, Adam, AdamW, RMSprop, ...)');
    if (typeof opts.loss !== 'function' && typeof (opts.loss as { call?: unknown })?.call !== 'function') throw new TrainerError('Trainer: loss must be a function (outputs, targets) => loss or a loss module such as nn.CrossEntropyLoss');
    const posInt = (v: unknown, name: string, min = 1) => {
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min)) throw new TrainerError(`Trainer: ${name} must be an integer >= ${min}, got ${String(v)}`);
    };
    posInt(opts.maxEpochs, 'maxEpochs', 0);
    if (opts.maxEpochs === undefined) throw new TrainerError('Trainer: maxEpochs is required');
    posInt(opts.maxSteps, 'maxSteps');
    posInt(opts.accumulate, 'accumulate');
    posInt(opts.checkpointEvery, 'checkpointEvery');
    for (const k of ['gradClipNorm', 'gradClipValue'] as const) {
      const v = opts[k];
      if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new TrainerError(`Trainer: ${k} must be a positive number, got ${String(v)}`);
    }
    const precision = opts.precision ?? '32';
    if (!['32', 'bf16', 'fp16'].includes(precision)) throw new TrainerError(`Trainer: precision must be '32', 'bf16' or 'fp16', got '${String(precision)}'`);
    const monitor = opts.monitor ?? 'val/loss';
    const monitorMode = opts.monitorMode ?? (monitor.includes('loss') ? 'min' : 'max');
    if (monitorMode !== 'min' && monitorMode !== 'max') throw new TrainerError(`Trainer: monitorMode must be 'min' or 'max', got '${String(monitorMode)}'`);
    const interval = opts.scheduleInterval ?? 'step';
    if (interval !== 'step' && interval !== 'epoch') throw new TrainerError(`Trainer: scheduleInterval must be 'step' or 'epoch', got '${String(interval)}'`);
    if (opts.scheduler instanceof ReduceLROnPlateau && interval !== 'epoch') throw new TrainerError("Trainer: ReduceLROnPlateau steps on the validation metric, once per epoch: set scheduleInterval: 'epoch'");
    if (opts.earlyStopping) posInt(opts.earlyStopping.patience, 'earlyStopping.patience');
    this.opts = { ...opts, monitorGiven: opts.monitor !== undefined, scheduleInterval: interval, accumulate: opts.accumulate ?? 1, precision, monitor, monitorMode, callbacks: opts.callbacks ?? [] };
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.scheduler = opts.scheduler;
    this.wheels = opts.wheels === false ? null : wheelsOptions(opts.wheels ?? {});
    this.watch = this.wheels === null ? null : new LossWatch(this.wheels);
    if (precision === 'fp16') {
      if (this.deviceType() !== 'cuda') throw new TrainerError("Trainer: precision 'fp16' needs a CUDA model; on CPU use 'bf16'");
      this.scaler = new GradScaler();
    }
    this.state = this.freshState();
  }

  private freshState(): TrainerState {
    return { best: null, badEpochs: 0, lrScale: 1, baseLrs: this.optimizer.paramGroups.map((g) => g.lr), watch: { ema: 0, dev: 0, seen: 0, run: 0 }, rollbacks: 0, trainMetrics: [], history: [], epochSeconds: 0 };
  }

  private device(): DeviceLike {
    if (this.opts.device !== undefined) return this.opts.device;
    const p = this.model.parameters()[0];
    return p === undefined ? 'cpu' : p.device;
  }
  private deviceType(): 'cpu' | 'cuda' {
    return String(this.device()).startsWith('cuda') ? 'cuda' : 'cpu';
  }

  /** The learning rate of the first group, as the optimizer uses it now. */
  get lr(): number {
    return this.optimizer.paramGroups[0]?.lr ?? NaN;
  }

  /** Asks fit() to stop after the current step; it writes last.ckpt first (Ctrl-C). */
  requestStop(reason = 'stop requested'): void {
    this.stopReason ??= reason;
  }

  private makeMetrics(): Metric[] {
    return this.opts.metrics ? this.opts.metrics() : [new Accuracy()];
  }

  private parts(): TrainingParts {
    return { model: this.model, optimizer: this.optimizer, scheduler: this.scheduler, scaler: this.scaler };
  }

  private takeSnapshot(): Snapshot {
    this.state.watch = this.watch ? { ...this.watch.state } : this.state.watch;
    this.state.trainMetrics = [this.lossMean.state(), ...this.trainMetrics.map((m) => m.state())];
    return captureSnapshot(this.parts(), { step: this.step, epoch: this.epoch, batchInEpoch: this.batchInEpoch }, this.state as unknown as Record<string, unknown>, this.opts.meta ?? {});
  }

  private restore(snap: Snapshot): void {
    restoreSnapshot(this.parts(), snap);
    this.step = snap.json.step;
    this.epoch = snap.json.epoch;
    this.batchInEpoch = snap.json.batchInEpoch;
    this.state = structuredClone(snap.json.trainer) as unknown as TrainerState;
    if (this.watch) this.watch.state = { ...this.state.watch };
    this.trainMetrics = this.makeMetrics();
    const saved = this.state.trainMetrics as MetricState[];
    if (saved.length === this.trainMetrics.length + 1) {
      this.lossMean.loadState(saved[0]);
      this.trainMetrics.forEach((m, i) => m.loadState(saved[i + 1]));
    }
    this.applyLr();
  }

  private lossMean = new MeanMetric({ name: 'loss' });
  /** The metric objects of the last evaluate()/test(): the confusion matrix and per-class values live here. */
  lastEvaluation: { prefix: string; metrics: Metric[] } | null = null;

  /** Sets each group's lr to the schedule's lr times the wheels' scale. */
  private applyLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = (this.state.baseLrs[i] ?? g.lr) * this.state.lrScale; });
  }
  /** Steps the schedule on unscaled learning rates (chainable schedules read the current lr). */
  private stepSchedule(metric?: number): void {
    if (this.scheduler === undefined) return;
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = this.state.baseLrs[i] ?? g.lr; });
    if (this.scheduler instanceof ReduceLROnPlateau) this.scheduler.step(metric ?? NaN);
    else this.scheduler.step();
    this.state.baseLrs = this.optimizer.paramGroups.map((g) => g.lr);
    this.applyLr();
  }

  private async emit(event: TrainerEvent): Promise<void> {
    this.events.push(event);
    for (const c of this.opts.callbacks) await c.onEvent?.(this, event);
  }

  private writeLast(): string | null {
    const dir = this.opts.checkpointDir;
    if (dir === undefined) return null;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'last.ckpt');
    const snap = this.takeSnapshot();
    try {
      saveCheckpoint(path, snap);
    } finally {
      disposeSnapshot(snap);
    }
    return path;
  }

  /**
   * Trains for maxEpochs (or maxSteps), validating after each epoch. `resume`: a checkpoint path
   * (last.ckpt) to continue from.
   */
  async fit(train: BatchLoader, val?: BatchLoader, opts: { resume?: string } = {}): Promise<FitResult> {
    const t0 = performance.now();
    checkLoader(train, 'train');
    if (val !== undefined) checkLoader(val, 'val');
    this.stopReason = null;
    this.trainMetrics = this.makeMetrics();
    this.lossMean = new MeanMetric({ name: 'loss' });
    if (opts.resume !== undefined) {
      const snap = loadCheckpoint(opts.resume);
      try {
        this.restore(snap);
      } finally {
        disposeSnapshot(snap);
      }
      await this.emit({ type: 'resumed', step: this.step, epoch: this.epoch, message: `resumed from ${opts.resume} at step ${this.step} (epoch ${this.epoch + 1}, batch ${this.batchInEpoch})` });
    } else {
      this.state = this.freshState();
      this.step = 0;
      this.epoch = 0;
      this.batchInEpoch = 0;
    }
    for (const c of this.opts.callbacks) await c.onFitStart?.(this);
    let status: FitStatus = 'completed';
    try {
      status = await this.loop(train, val);
    } finally {
      if (this.snapshot) disposeSnapshot(this.snapshot);
      this.snapshot = null;
    }
    const best = this.state.best === null ? null : { ...this.state.best };
    const result: FitResult = { status, epochs: this.epoch, steps: this.step, best, history: this.state.history, events: this.events, seconds: (performance.now() - t0) / 1000 };
    for (const c of this.opts.callbacks) await c.onFitEnd?.(this, result);
    return result;
  }

  private async loop(train: BatchLoader, val: BatchLoader | undefined): Promise<FitStatus> {
    const { accumulate, maxEpochs, maxSteps } = { ...this.opts };
    if (this.wheels) this.snapshot = this.takeSnapshot();
    while (this.epoch < maxEpochs) {
      const nBatches = train.length;
      if (this.batchInEpoch === 0) {
        for (const m of this.trainMetrics) m.reset();
        this.lossMean.reset();
        this.state.epochSeconds = 0;
        for (const c of this.opts.callbacks) await c.onEpochStart?.(this, this.epoch);
      }
      const e0 = performance.now();
      this.model.train();
      train.train?.(true);
      train.setEpoch(this.epoch, this.batchInEpoch);
      let rolledBack = false;
      let micro = 0;
      this.optimizer.zeroGrad();
      for await (const batch of train as AsyncIterable<Batch>) {
        // in-memory loaders resolve in microtasks only: give the event loop (signals, timers, I/O) a turn
        if (performance.now() - this.lastYield > 50) {
          await new Promise((r) => setImmediate(r));
          this.lastYield = performance.now();
        }
        const b = this.batchInEpoch;
        for (const c of this.opts.callbacks) await c.onBatchStart?.(this, { step: this.step, epoch: this.epoch, batch: b, batches: nBatches });
        let outputs: Tensor, targets: Tensor, loss: number;
        try {
          [outputs, targets, loss] = this.forwardBackward(batch, accumulate);
        } finally {
          batch.inputs.dispose();
          batch.targets.dispose();
        }
        const verdict = this.watch?.check(loss) ?? { ok: true as const };
        if (!verdict.ok) {
          outputs.dispose();
          targets.dispose();
          rolledBack = true;
          if (!(await this.rollback(verdict.reason, loss, verdict.average))) return 'diverged';
          break;
        }
        const size = targets.shape[0] ?? 0;
        this.lossMean.update(loss, size);
        torch.noGrad(() => { for (const m of this.trainMetrics) m.update(outputs, targets); });
        this.batchInEpoch++;
        micro++;
        let stepped = false;
        if (micro === accumulate || this.batchInEpoch === nBatches) {
          // the gradients exist only here, between backward and the step's zeroGrad
          for (const c of this.opts.callbacks) await c.onBeforeStep?.(this, { step: this.step, epoch: this.epoch, batch: b, batches: nBatches });
          const ok = this.optimizerStep();
          micro = 0;
          stepped = true;
          if (!ok) {
            outputs.dispose();
            targets.dispose();
            rolledBack = true;
            if (!(await this.rollback('inf', loss, NaN, 'a gradient is not finite'))) return 'diverged';
            break;
          }
        }
        const info: BatchEnd = { step: this.step, epoch: this.epoch, batch: b, batches: nBatches, loss, lr: this.lr, size, stepped, outputs, targets };
        try {
          for (const c of this.opts.callbacks) await c.onBatchEnd?.(this, info);
        } finally {
          outputs.dispose();
          targets.dispose();
        }
        if (stepped) {
          // never snapshot in the middle of a run of spiking batches
          if (this.wheels && this.step % this.wheels.snapshotEvery === 0 && this.watch!.state.run === 0) {
            if (this.snapshot) disposeSnapshot(this.snapshot);
            this.snapshot = this.takeSnapshot();
          }
          if (this.opts.checkpointEvery !== undefined && this.step % this.opts.checkpointEvery === 0) this.checkpoint();
          if (maxSteps !== undefined && this.step >= maxSteps) {
            this.state.epochSeconds += (performance.now() - e0) / 1000;
            await this.emit({ type: 'max_steps', step: this.step, epoch: this.epoch, message: `reached maxSteps (${maxSteps})` });
            this.checkpoint();
            return 'max_steps';
          }
          if (this.stopReason !== null) {
            this.state.epochSeconds += (performance.now() - e0) / 1000;
            const path = this.checkpoint();
            await this.emit({ type: 'interrupted', step: this.step, epoch: this.epoch, message: `${this.stopReason}; ${path === null ? 'no checkpoint folder was set' : `checkpoint written to ${path}`}` });
            return 'interrupted';
          }
        }
      }
      if (rolledBack) continue;
      this.state.epochSeconds += (performance.now() - e0) / 1000;
      if (this.batchInEpoch < nBatches) throw new TrainerError(`Trainer: the train loader gave ${this.batchInEpoch} batches in epoch ${this.epoch + 1}, its length says ${nBatches}`);
      const stop = await this.endEpoch(val);
      if (stop) return 'early_stopped';
    }
    return 'completed';
  }

  /** Outputs, loss and targets of a batch on the model's device, under autocast when asked (call inside a tidy). */
  private forward(batch: Batch): [Tensor, Tensor, Tensor] {
    const device = this.device();
    const x = batch.inputs.device === String(device) ? batch.inputs : batch.inputs.to(device);
    const y = batch.targets.device === String(device) ? batch.targets : batch.targets.to(device);
    const run = (): [Tensor, Tensor, Tensor] => {
      const out = this.model.call(x) as Tensor;
      return [out, lossOf(this.opts.loss, out, y), y];
    };
    if (this.opts.precision === '32') return run();
    return torch.autocast(this.deviceType(), run, { dtype: this.opts.precision === 'bf16' ? 'bfloat16' : 'float16' });
  }

  /** Forward and backward of one batch; returns detached outputs and targets and the loss value. */
  private forwardBackward(batch: Batch, accumulate: number): [Tensor, Tensor, number] {
    return torch.tidy(() => {
      const [out, loss, y] = this.forward(batch);
      if (loss.numel() !== 1) throw new TrainerError(`Trainer: the loss must be a scalar, got shape [${loss.shape.join(', ')}]; use reduction 'mean' or 'sum'`);
      const value = loss.item();
      if (Number.isFinite(value)) {
        const scaled = accumulate > 1 ? loss.div(accumulate) : loss;
        (this.scaler ? this.scaler.scale(scaled) : scaled).backward();
      }
      return [out.detach().float(), y.clone(), value] as [Tensor, Tensor, number];
    }) as [Tensor, Tensor, number];
  }

  /** Clipping, the optimizer step and the schedule; false when the gradients are not finite. */
  private optimizerStep(): boolean {
    const params = this.model.parameters().filter((p) => p.requiresGrad);
    if (this.scaler && (this.opts.gradClipNorm !== undefined || this.opts.gradClipValue !== undefined)) this.scaler.unscale_(this.optimizer);
    if (this.opts.gradClipValue !== undefined) clipGradValue_(params, this.opts.gradClipValue);
    if (this.opts.gradClipNorm !== undefined) {
      const norm = clipGradNorm_(params, this.opts.gradClipNorm);
      if (!Number.isFinite(norm) && !this.scaler && this.wheels) return false;
    }
    if (this.scaler) {
      this.scaler.step(this.optimizer);
      this.scaler.update();
    } else {
      this.optimizer.step();
    }
    this.optimizer.zeroGrad();
    this.step++;
    if (this.opts.scheduleInterval === 'step') this.stepSchedule();
    return true;
  }

  private async rollback(reason: 'nan' | 'inf' | 'spike', loss: number, average: number, detail?: string): Promise<boolean> {
    const w = this.wheels!;
    const what = detail ?? (reason === 'spike' ? `loss ${loss.toPrecision(4)} is over ${w.spikeFactor}× its moving average ${average.toPrecision(4)}` : `loss is ${loss}`);
    const at = { step: this.step, epoch: this.epoch };
    if (this.state.rollbacks >= w.maxRollbacks) {
      await this.emit({ type: 'diverged', ...at, reason, loss, message: `${what} at step ${this.step}, after ${this.state.rollbacks} rollback(s) (maxRollbacks ${w.maxRollbacks}): training stopped. Lower the learning rate, add gradient clipping (gradClipNorm), or check the data for bad samples.` });
      const snap = this.snapshot!;
      const rollbacks = this.state.rollbacks;
      this.restore(snap);
      this.state.rollbacks = rollbacks;
      this.optimizer.zeroGrad();
      this.checkpoint();
      return false;
    }
    const snap = this.snapshot!;
    const rollbacks = this.state.rollbacks + 1;
    const scale = this.state.lrScale * w.lrFactor;
    this.restore(snap);
    this.optimizer.zeroGrad();
    this.state.rollbacks = rollbacks;
    this.state.lrScale = scale;
    this.applyLr();
    // the snapshot now carries the lower LR and the count, so a second rollback does not undo them
    disposeSnapshot(snap);
    this.snapshot = this.takeSnapshot();
    await this.emit({ type: 'rollback', ...at, reason, loss, average, toStep: this.step, lrScale: scale, message: `${what} at step ${at.step}: rolled back to step ${this.step} (epoch ${this.epoch + 1}, batch ${this.batchInEpoch}) and scaled the learning rate by ${w.lrFactor} (now ×${scale}); rollback ${rollbacks} of ${w.maxRollbacks}` });
    return true;
  }

  private checkpoint(): string | null {
    const path = this.writeLast();
    if (path !== null) for (const c of this.opts.callbacks) void c.onCheckpoint?.(this, path, 'last');
    return path;
  }

  /** Epoch metrics, validation, schedule, best checkpoint, early stopping. True to stop. */
  private async endEpoch(val: BatchLoader | undefined): Promise<boolean> {
    const metrics: Metrics = { 'train/loss': this.lossMean.compute() as number };
    for (const m of this.trainMetrics) Object.assign(metrics, flatten(`train/${m.name}`, m.compute()));
    metrics.lr = this.lr;
    if (val !== undefined) {
      const v = await this.evaluate(val, 'val');
      Object.assign(metrics, v);
      for (const c of this.opts.callbacks) await c.onValidationEnd?.(this, v);
    }
    const { monitorMode } = this.opts;
    // without a validation loader, the default monitor falls back to the training loss
    const monitor = this.opts.monitorGiven || val !== undefined ? this.opts.monitor : 'train/loss';
    const value = metrics[monitor];
    if (value === undefined) {
      throw new TrainerError(`Trainer: monitor '${monitor}' is not among the epoch's metrics (${Object.keys(metrics).join(', ')})${val === undefined && monitor.startsWith('val/') ? '; pass a validation loader to fit(train, val) or monitor a train/ metric' : ''}`);
    }
    if (this.scheduler !== undefined && this.opts.scheduleInterval === 'epoch') this.stepSchedule(this.scheduler instanceof ReduceLROnPlateau ? value : undefined);
    const minDelta = this.opts.earlyStopping ? this.opts.earlyStopping.minDelta ?? 0 : 0;
    const prev = this.state.best;
    const improved = Number.isFinite(value) && (prev === null || (monitorMode === 'min' ? value < prev.value - minDelta : value > prev.value + minDelta));
    const isBest = Number.isFinite(value) && (prev === null || (monitorMode === 'min' ? value < prev.value : value > prev.value));
    const epoch = this.epoch;
    this.epoch++;
    this.batchInEpoch = 0;
    if (isBest) {
      this.state.best = { metric: monitor, value, epoch, step: this.step };
      if (this.opts.checkpointDir !== undefined) {
        mkdirSync(this.opts.checkpointDir, { recursive: true });
        const path = join(this.opts.checkpointDir, 'best.safetensors');
        saveWeights(path, this.model, { monitor, value: String(value), epoch: String(epoch + 1), step: String(this.step) });
        for (const c of this.opts.callbacks) await c.onCheckpoint?.(this, path, 'best');
      }
    }
    this.state.badEpochs = improved ? 0 : this.state.badEpochs + 1;
    const info: EpochEnd = { epoch, step: this.step, metrics, seconds: this.state.epochSeconds, best: isBest };
    this.state.history.push(structuredClone({ ...info }));
    for (const c of this.opts.callbacks) await c.onEpochEnd?.(this, info);
    const es = this.opts.earlyStopping;
    const stop = es !== undefined && es !== false && this.state.badEpochs >= es.patience && this.epoch < this.opts.maxEpochs;
    // the snapshot at an epoch's end is the natural resume point
    this.checkpoint();
    if (stop) {
      await this.emit({ type: 'early_stop', step: this.step, epoch, message: `${monitor} did not improve by more than ${minDelta} for ${es.patience} epoch(s); best ${this.state.best?.value} at epoch ${(this.state.best?.epoch ?? 0) + 1}` });
      return true;
    }
    return false;
  }

  /** Loss and metrics over a loader, in eval mode without gradients; names prefixed with `prefix/`. */
  async evaluate(loader: BatchLoader, prefix = 'val'): Promise<Metrics> {
    checkLoader(loader, prefix);
    const metrics = this.makeMetrics();
    const lossMean = new MeanMetric({ name: 'loss' });
    const wasTraining = this.model.training;
    this.model.eval();
    loader.train?.(false);
    try {
      for await (const batch of loader as AsyncIterable<Batch>) {
        try {
          torch.noGrad(() => torch.tidy(() => {
            const [out, loss, y] = this.forward(batch);
            lossMean.update(loss.item(), y.shape[0] ?? 0);
            const o = out.float();
            for (const m of metrics) m.update(o, y);
          }));
        } finally {
          batch.inputs.dispose();
          batch.targets.dispose();
        }
      }
    } finally {
      this.model.train(wasTraining);
    }
    const out: Metrics = { [`${prefix}/loss`]: lossMean.compute() };
    for (const m of metrics) Object.assign(out, flatten(`${prefix}/${m.name}`, m.compute()));
    this.lastEvaluation = { prefix, metrics };
    return out;
  }

  /**
   * Evaluates once on the test set with the best weights (best.safetensors of checkpointDir) when
   * there are some, else with the current weights. The current weights are left as they are.
   */
  async test(loader: BatchLoader, opts: { weights?: 'best' | 'current' } = {}): Promise<Metrics> {
    const which = opts.weights ?? 'best';
    const dir = this.opts.checkpointDir;
    if (which === 'best' && dir !== undefined && this.state.best !== null) {
      const saved = torch.tidy(() => Object.fromEntries(Object.entries(this.model.stateDict()).map(([k, t]) => [k, t.clone().keep()])));
      const best = torch.safetensors.load(join(dir, 'best.safetensors'));
      try {
        this.model.loadStateDict(best.tensors);
        return await this.evaluate(loader, 'test');
      } finally {
        for (const t of Object.values(best.tensors)) t.dispose();
        this.model.loadStateDict(saved);
        for (const t of Object.values(saved)) t.dispose();
      }
    }
    return this.evaluate(loader, 'test');
  }
}

/** Scalar metrics by name; a metric that is a matrix (confusion) is left to `lastEvaluation`. */
function flatten(name: string, v: MetricValue): Metrics {
  if (typeof v === 'number') return { [name]: v };
  if (Array.isArray(v)) return {};
  const out: Metrics = {};
  for (const [k, x] of Object.entries(v)) out[`${name}/${k}`] = x;
  return out;
}

function checkLoader(l: BatchLoader, what: string): void {
  if (l === null || typeof l !== 'object' || typeof l.setEpoch !== 'function' || typeof l[Symbol.asyncIterator] !== 'function' || !Number.isInteger(l.length)) {
    throw new TrainerError(`Trainer: the ${what} loader must be a data.DataLoader or DataLoader.fromTensors(...) (async iterable with length and setEpoch), got ${String(l)}`);
  }
  if (l.length === 0 && what === 'train') throw new TrainerError('Trainer: the train loader has no batches (empty data set, or dropLast with fewer samples than batchSize)');
}
