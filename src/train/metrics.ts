// Classification metrics accumulated over batches, like torchmetrics: update() per batch, compute()
// at the end of the epoch, reset() between epochs. Each update does a few tensor ops on the batch's
// device and copies only counts (a handful of numbers, or C or C*C of them) to JS, where they add up
// exactly. state()/loadState() let a checkpoint taken mid-epoch resume the same totals.

import { torch, Tensor } from '../torch/index.js';
import { formatTable } from '../cli/table.js';
import { MetricError, checkClassification, checkKind, countField, countsField, toJs } from './metric-checks.js';

export { MetricError };

export type MetricValue = number | Record<string, number> | number[][];
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A metric's totals as plain JSON; `kind` names the class that made it. */
export type MetricState = { kind: string } & { [key: string]: JsonValue };

export interface Metric<V extends MetricValue = MetricValue> {
  readonly name: string;
  /** Adds one batch: outputs are logits [B, C], targets class indices [B] (MeanMetric: see there). */
  update(outputs: Tensor, targets: Tensor): void;
  /** The value over every batch since the last reset(). */
  compute(): V;
  reset(): void;
  state(): MetricState;
  loadState(state: MetricState): void;
}

function ratio(num: number, den: number): number {
  return den === 0 ? NaN : num / den;
}

/** Top-1 accuracy: the share of samples whose largest logit is the target class. NaN before any sample. */
export class Accuracy implements Metric<number> {
  readonly name: string;
  protected correct = 0;
  protected total = 0;
  constructor(opts: { name?: string } = {}) {
    this.name = opts.name ?? 'accuracy';
  }
  update(outputs: Tensor, targets: Tensor): void {
    const { batch } = checkClassification(this.name, outputs, targets);
    if (batch === 0) return;
    this.correct += toJs(() => outputs.argmax(1).eq(targets).sum())[0]!;
    this.total += batch;
  }
  compute(): number {
    return ratio(this.correct, this.total);
  }
  reset(): void {
    this.correct = 0;
    this.total = 0;
  }
  state(): MetricState {
    return { kind: 'Accuracy', correct: this.correct, total: this.total };
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, 'Accuracy');
    this.correct = countField(this.name, s, 'correct');
    this.total = countField(this.name, s, 'total');
  }
}

/** Top-k accuracy: the share of samples whose target is among the k largest logits. */
export class TopKAccuracy implements Metric<number> {
  readonly name: string;
  readonly k: number;
  private correct = 0;
  private total = 0;
  constructor(k: number, opts: { name?: string } = {}) {
    this.name = opts.name ?? `top${k}_accuracy`;
    if (!Number.isInteger(k) || k < 1) throw new MetricError(this.name, `k must be a positive integer, got ${k}.`);
    this.k = k;
  }
  update(outputs: Tensor, targets: Tensor): void {
    const { batch, classes } = checkClassification(this.name, outputs, targets);
    if (classes < this.k) {
      throw new MetricError(this.name, `k=${this.k} but outputs have only ${classes} classes, so every sample would count as correct. Use k < ${classes + 1}.`);
    }
    if (batch === 0) return;
    this.correct += toJs(() => outputs.topk(this.k, 1)[1].eq(targets.unsqueeze(1)).any(1).sum())[0]!;
    this.total += batch;
  }
  compute(): number {
    return ratio(this.correct, this.total);
  }
  reset(): void {
    this.correct = 0;
    this.total = 0;
  }
  state(): MetricState {
    return { kind: 'TopKAccuracy', k: this.k, correct: this.correct, total: this.total };
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, 'TopKAccuracy');
    if (s.k !== this.k) throw new MetricError(this.name, `the state was saved with k=${String(s.k)}, this metric has k=${this.k}.`);
    this.correct = countField(this.name, s, 'correct');
    this.total = countField(this.name, s, 'total');
  }
}

function checkNumClasses(name: string, numClasses: number, classNames?: readonly string[]): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new MetricError(name, `numClasses must be a positive integer, got ${numClasses}.`);
  if (classNames !== undefined && classNames.length !== numClasses) {
    throw new MetricError(name, `classNames has ${classNames.length} names for ${numClasses} classes. Give one name per class.`);
  }
}

/**
 * Accuracy per true class (recall): of the samples of class c, the share predicted c. compute()
 * maps class names (or '0', '1', ...) to values; a class with no samples yet is NaN.
 */
export class PerClassAccuracy implements Metric<Record<string, number>> {
  readonly name: string;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  private hits: number[];
  private totals: number[];
  constructor(numClasses: number, classNames?: readonly string[], opts: { name?: string } = {}) {
    this.name = opts.name ?? 'per_class_accuracy';
    checkNumClasses(this.name, numClasses, classNames);
    this.numClasses = numClasses;
    this.classNames = classNames ? [...classNames] : Array.from({ length: numClasses }, (_, i) => String(i));
    this.hits = new Array<number>(numClasses).fill(0);
    this.totals = new Array<number>(numClasses).fill(0);
  }
  update(outputs: Tensor, targets: Tensor): void {
    const C = this.numClasses;
    const { batch } = checkClassification(this.name, outputs, targets, C);
    if (batch === 0) return;
    // Weights make bincount return doubles; counts below 2^53 are exact in them.
    const counts = toJs(() => {
      const t = targets.long();
      const correct = outputs.argmax(1).eq(t).double();
      return torch.cat([t.bincount(correct, C), t.bincount(null, C).double()]);
    });
    for (let c = 0; c < C; c++) {
      this.hits[c]! += counts[c]!;
      this.totals[c]! += counts[C + c]!;
    }
  }
  /** Recall per class, in class order. */
  values(): number[] {
    return this.hits.map((h, c) => ratio(h, this.totals[c]!));
  }
  compute(): Record<string, number> {
    const v = this.values();
    return Object.fromEntries(this.classNames.map((n, c) => [n, v[c]!]));
  }
  /** The mean of the per-class values over classes seen so far (macro-averaged recall). */
  macro(): number {
    const seen = this.values().filter((x) => !Number.isNaN(x));
    return seen.length === 0 ? NaN : seen.reduce((a, b) => a + b, 0) / seen.length;
  }
  reset(): void {
    this.hits.fill(0);
    this.totals.fill(0);
  }
  state(): MetricState {
    return { kind: 'PerClassAccuracy', numClasses: this.numClasses, hits: [...this.hits], totals: [...this.totals] };
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, 'PerClassAccuracy');
    const hits = countsField(this.name, s, 'hits', this.numClasses);
    const totals = countsField(this.name, s, 'totals', this.numClasses);
    this.hits = [...hits];
    this.totals = [...totals];
  }
}

/** Counts of (true class, predicted class) pairs: rows are true classes, columns predictions. */
export class ConfusionMatrix implements Metric<number[][]> {
  readonly name: string;
  readonly numClasses: number;
  private counts: number[];
  constructor(numClasses: number, opts: { name?: string } = {}) {
    this.name = opts.name ?? 'confusion_matrix';
    checkNumClasses(this.name, numClasses);
    this.numClasses = numClasses;
    this.counts = new Array<number>(numClasses * numClasses).fill(0);
  }
  update(outputs: Tensor, targets: Tensor): void {
    const C = this.numClasses;
    const { batch } = checkClassification(this.name, outputs, targets, C);
    if (batch === 0) return;
    // One bincount over target*C + prediction fills the whole matrix in a single op.
    const counts = toJs(() => targets.long().mul(C).add(outputs.argmax(1)).bincount(null, C * C));
    for (let i = 0; i < counts.length; i++) this.counts[i]! += counts[i]!;
  }
  matrix(): number[][] {
    const C = this.numClasses;
    return Array.from({ length: C }, (_, r) => this.counts.slice(r * C, (r + 1) * C));
  }
  compute(): number[][] {
    return this.matrix();
  }
  /** A text table: one row per true class, one column per predicted class. */
  format(classNames?: readonly string[]): string {
    checkNumClasses(this.name, this.numClasses, classNames);
    const names = classNames ?? Array.from({ length: this.numClasses }, (_, i) => String(i));
    return formatTable(['true \\ pred', ...names], this.matrix().map((row, r) => [names[r]!, ...row]),
      { align: ['left', ...names.map(() => 'right' as const)] });
  }
  reset(): void {
    this.counts.fill(0);
  }
  state(): MetricState {
    return { kind: 'ConfusionMatrix', numClasses: this.numClasses, counts: [...this.counts] };
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, 'ConfusionMatrix');
    this.counts = [...countsField(this.name, s, 'counts', this.numClasses * this.numClasses)];
  }
}

/**
 * A weighted running mean of a scalar, such as the loss: update(loss, targets) weights by the batch
 * size, update(0.41, 32) by 32. A tensor with several elements counts each element once.
 */
export class MeanMetric implements Metric<number> {
  readonly name: string;
  // Neumaier-compensated sum: a float mean over a long epoch otherwise drifts in the last digits.
  private sum = 0;
  private compensation = 0;
  private weight = 0;
  constructor(opts: { name?: string } = {}) {
    this.name = opts.name ?? 'mean';
  }
  update(value: Tensor | number, weight?: Tensor | number): void {
    let v: number;
    let w: number;
    if (value instanceof Tensor) {
      if (value.isDisposed) throw new MetricError(this.name, 'value was already disposed. Call update() before the batch\'s tensors are released.');
      const n = value.numel();
      if (n === 0) return;
      v = toJs(() => value.double().sum())[0]! / n;
      w = n;
    } else if (typeof value === 'number') {
      v = value;
      w = 1;
    } else {
      throw new MetricError(this.name, `value must be a number or a Tensor, got ${typeof value}.`);
    }
    if (weight instanceof Tensor) w = weight.ndim === 0 ? 1 : weight.shape[0]!;
    else if (weight !== undefined) w = weight;
    if (!Number.isFinite(w) || w < 0) throw new MetricError(this.name, `weight must be a finite number >= 0, got ${w}. Pass the batch size.`);
    this.add(v, w);
  }
  protected add(v: number, w: number): void {
    if (!Number.isFinite(v)) {
      throw new MetricError(this.name, `value is ${v}. A NaN or infinite loss means training diverged: lower the learning rate, clip gradients, or check the batch for bad data.`);
    }
    if (w === 0) return;
    const x = v * w;
    const t = this.sum + x;
    this.compensation += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
    this.weight += w;
  }
  compute(): number {
    return ratio(this.sum + this.compensation, this.weight);
  }
  reset(): void {
    this.sum = 0;
    this.compensation = 0;
    this.weight = 0;
  }
  protected get kind(): string {
    return 'MeanMetric';
  }
  state(): MetricState {
    return { kind: this.kind, sum: this.sum, compensation: this.compensation, weight: this.weight };
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, this.kind);
    const [sum, compensation, weight] = [s.sum, s.compensation, s.weight];
    if (typeof sum !== 'number' || typeof compensation !== 'number' || typeof weight !== 'number' || !Number.isFinite(sum) || !Number.isFinite(compensation) || !(weight >= 0)) {
      throw new MetricError(this.name, 'state must hold finite numbers sum, compensation and weight >= 0. Load a state saved by the same kind of metric.');
    }
    this.sum = sum;
    this.compensation = compensation;
    this.weight = weight;
  }
}

class UserMetric extends MeanMetric {
  constructor(name: string, private readonly fn: (outputs: Tensor, targets: Tensor) => number) {
    super({ name });
  }
  override update(outputs: Tensor, targets?: Tensor | number): void {
    if (!(outputs instanceof Tensor) || !(targets instanceof Tensor)) {
      throw new MetricError(this.name, 'update(outputs, targets) takes the batch\'s two tensors.');
    }
    const batch = targets.ndim > 0 ? targets.shape[0]! : outputs.ndim > 0 ? outputs.shape[0]! : 1;
    if (batch === 0) return;
    const v: unknown = torch.noGrad(() => torch.tidy(() => this.fn(outputs, targets)));
    if (v instanceof Tensor) {
      v.dispose();
      throw new MetricError(this.name, 'the metric function returned a Tensor. Return a number: end it with .item().');
    }
    if (typeof v !== 'number') throw new MetricError(this.name, `the metric function returned ${typeof v}, not a number.`);
    this.add(v, batch);
  }
  protected override get kind(): string {
    return 'UserMetric';
  }
}

/**
 * Wraps fn(outputs, targets) -> number (a per-batch mean) as a metric averaged over the epoch,
 * weighted by batch size. fn runs without autograd inside a scope, so its tensors are freed.
 */
export function userMetric(name: string, fn: (outputs: Tensor, targets: Tensor) => number): Metric<number> {
  if (typeof fn !== 'function') throw new MetricError(name, 'userMetric(name, fn) needs a function (outputs, targets) => number.');
  return new UserMetric(name, fn);
}
