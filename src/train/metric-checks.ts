// Input checks shared by the classification metrics. A metric fed the wrong thing (one-hot targets,
// float labels, labels off by one, a NaN from a diverged model) should fail at once with the metric's
// name, what is wrong and how to fix it, not with a libtorch error deep in bincount or, worse, a
// silently wrong number at the end of the epoch.

import { torch, Tensor } from '../torch/index.js';

/** A metric was given inputs it cannot score, or a state it cannot load. */
export class MetricError extends Error {
  /** The metric's name, as in its `name` property. */
  readonly metric: string;
  constructor(metric: string, message: string) {
    super(`${metric}: ${message}`);
    this.name = 'MetricError';
    this.metric = metric;
  }
}

const INTEGER_DTYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);

function shapeOf(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function requireTensor(metric: string, what: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new MetricError(metric, `${what} must be a Tensor, got ${t === null ? 'null' : typeof t}. Pass the model's output tensor and the batch's label tensor.`);
  }
  if (t.isDisposed) throw new MetricError(metric, `${what} was already disposed. Call update() before the batch's tensors are released (inside the same tidy()).`);
}

/** Runs `fn` without autograd in a scope and moves its (small) result to JS. */
export function toJs(fn: () => Tensor): number[] {
  return torch.noGrad(() => torch.tidy(() => fn().toNumbers()));
}

export interface ClassificationBatch {
  batch: number;
  classes: number;
}

/**
 * Checks logits [B, C] (floating point, no NaN) against class indices [B] (integers in [0, C)).
 * Costs one small device-to-host copy: a NaN flag and the targets' minimum and maximum.
 */
export function checkClassification(metric: string, outputs: Tensor, targets: Tensor, numClasses?: number): ClassificationBatch {
  requireTensor(metric, 'outputs', outputs);
  requireTensor(metric, 'targets', targets);
  if (outputs.ndim !== 2) {
    const hint = outputs.ndim === 1
      ? ' If these are predicted class indices, pass the logits instead; the metric takes the argmax itself.'
      : ' Flatten the extra dimensions first, e.g. outputs.reshape(-1, numClasses) with targets.reshape(-1).';
    throw new MetricError(metric, `outputs must be logits or probabilities of shape [batch, classes], got ${shapeOf(outputs)}.${hint}`);
  }
  if (!outputs.isFloatingPoint()) {
    throw new MetricError(metric, `outputs must be floating-point scores, got ${outputs.dtype}. Pass the model's logits, not predicted labels.`);
  }
  const [batch, classes] = outputs.shape as [number, number];
  if (numClasses !== undefined && classes !== numClasses) {
    throw new MetricError(metric, `outputs have ${classes} classes but the metric was built for numClasses=${numClasses}. Build it with numClasses=${classes}, or check the model's last layer.`);
  }
  if (targets.ndim !== 1) {
    const hint = targets.ndim === 2 && targets.shape[1] === classes
      ? ' These look one-hot or soft labels: pass class indices, targets.argmax(1).'
      : ' Pass one class index per sample.';
    throw new MetricError(metric, `targets must be class indices of shape [batch], got ${shapeOf(targets)}.${hint}`);
  }
  if (!INTEGER_DTYPES.has(targets.dtype)) {
    throw new MetricError(metric, `targets must be integer class indices, got ${targets.dtype}. Convert them with targets.long() (and check they are labels, not probabilities).`);
  }
  if (targets.shape[0] !== batch) {
    throw new MetricError(metric, `outputs have ${batch} samples but targets have ${targets.shape[0]}. Pass the outputs and targets of the same batch.`);
  }
  if (outputs.device !== targets.device) {
    throw new MetricError(metric, `outputs are on ${outputs.device} but targets on ${targets.device}. Move the targets to the outputs' device first.`);
  }
  if (batch === 0) return { batch, classes };
  const [nan, lo, hi] = toJs(() => torch.stack([outputs.isnan().any().double(), targets.min().double(), targets.max().double()])) as [number, number, number];
  if (nan !== 0) {
    throw new MetricError(metric, `outputs contain NaN. The model diverged or its input had NaN: lower the learning rate, check the data, or run under torch.detectAnomaly() to find the op.`);
  }
  if (lo < 0 || hi >= classes) {
    const bad = lo < 0 ? lo : hi;
    const offByOne = lo >= 1 && hi === classes ? ' Labels seem to start at 1: subtract 1.' : '';
    throw new MetricError(metric, `targets hold class ${bad}, outside [0, ${classes}) for outputs with ${classes} classes.${offByOne} Check the dataset's labels and the model's number of outputs.`);
  }
  return { batch, classes };
}

/** Reads a field of a saved state that must be a non-negative integer (a count). */
export function countField(metric: string, state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new MetricError(metric, `state field '${key}' must be a non-negative integer, got ${JSON.stringify(v)}. Load a state saved by the same kind of metric.`);
  }
  return v;
}

/** Reads a field of a saved state that must be a list of `length` counts. */
export function countsField(metric: string, state: Record<string, unknown>, key: string, length: number): number[] {
  const v = state[key];
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new MetricError(metric, `state field '${key}' must be a list of ${length} non-negative integers. Was the state saved by a metric with a different number of classes?`);
  }
  return v as number[];
}

/** Throws unless the saved state was made by a metric of kind `kind`. */
export function checkKind(metric: string, state: unknown, kind: string): Record<string, unknown> {
  if (typeof state !== 'object' || state === null || (state as { kind?: unknown }).kind !== kind) {
    const got = typeof state === 'object' && state !== null ? String((state as { kind?: unknown }).kind) : typeof state;
    throw new MetricError(metric, `cannot load a state of kind '${got}' into a ${kind}. Load each metric's own state() into it.`);
  }
  return state as Record<string, unknown>;
}
