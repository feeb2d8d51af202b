// Losses, as torch.nn's: the functional forms (crossEntropy, nllLoss, binaryCrossEntropy, ...) and
// their Module classes (CrossEntropyLoss, NLLLoss, BCELoss, ...). libtorch's ops compute the values;
// what is here checks the arguments first, so that a mistake is an error that says what was expected
// and how to fix it instead of a silently wrong loss or an opaque kernel message:
//
// - a target of the wrong dtype or shape (float class indices, one-hot int64 targets, [N, 1] against
//   [N]); PyTorch broadcasts mismatched shapes for the regression losses with only a warning, Sous
//   refuses and names both shapes;
// - class indices outside [0, C) (other than ignoreIndex), with the offending value and position;
// - BCE targets (and BCE inputs) outside [0, 1].
//
// Wrong dtypes and shapes are TypeErrors, values out of range RangeErrors. The value checks read one
// boolean back from the device per call. Probabilities (a sigmoid or softmax output) passed to a
// logits loss cannot be told from logits here; the doctor looks for that.

import { torch, Tensor } from '../torch/index.js';
import { Module } from './module.js';

/** How the per-element losses are combined: kept ('none'), averaged ('mean', the default) or summed. */
export type Reduction = 'none' | 'mean' | 'sum';

export interface ReductionOptions {
  reduction?: Reduction;
}

export interface NLLLossOptions extends ReductionOptions {
  /** A manual rescaling weight for each class: a 1-D tensor of C elements. */
  weight?: Tensor | null;
  /** Targets equal to this index add nothing to the loss nor to the mean's denominator (default -100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLLossOptions {
  /** In [0, 1]: the target becomes (1 - s) * target + s / C (default 0). */
  labelSmoothing?: number;
}

export interface BCEOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** The weight of positive examples, per class (usually [C], broadcast to the input's shape). */
  posWeight?: Tensor | null;
}

export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1; 0 is the L1 loss). */
  beta?: number;
}

export interface HuberOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1, > 0). */
  delta?: number;
}

const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

// ---------------------------------------------------------------------------------------------
// Checks

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A number for a message: floats shortened, integers as they are. */
function fmtValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(6)));
  return String(v);
}

function checkOptions(fn: string, opts: object, allowed: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) {
    if (allowed.includes(k)) continue;
    const camel = k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const hint = camel !== k && allowed.includes(camel) ? ` (did you mean '${camel}'?)` : '';
    throw new TypeError(`${fn}: unknown option '${k}'${hint}; the options are ${allowed.join(', ')}`);
  }
}

function reductionCode(fn: string, r: unknown): number {
  const red = r ?? 'mean';
  if (typeof red !== 'string' || !(red in REDUCTION)) {
    throw new TypeError(`${fn}: reduction must be 'none', 'mean' or 'sum', got ${typeof red === 'string' ? `'${red}'` : String(red)}`);
  }
  return REDUCTION[red as Reduction];
}

function checkTensor(fn: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) throw new TypeError(`${fn}: ${name} was disposed`);
}

function checkFloatInput(fn: string, input: unknown, what: string): asserts input is Tensor {
  checkTensor(fn, 'input', input);
  if (!input.isFloatingPoint()) {
    throw new TypeError(`${fn}: input must be floating point (${what}), got ${input.dtype}; convert with input.float()`);
  }
}

/** The shape two shapes broadcast to, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** An optional tensor that must broadcast to the input's shape without changing it. */
function checkBroadcastWeight(fn: string, name: string, w: Tensor | null | undefined, input: Tensor): Tensor | null {
  if (w === undefined || w === null) return null;
  checkTensor(fn, name, w);
  if (!w.isFloatingPoint()) throw new TypeError(`${fn}: ${name} must be floating point, got ${w.dtype}; convert with ${name}.to('${input.dtype}')`);
  if (w.dtype !== input.dtype) throw new TypeError(`${fn}: ${name} dtype ${w.dtype} differs from input dtype ${input.dtype}; convert with ${name}.to('${input.dtype}')`);
  const b = broadcastShape(w.shape, input.shape);
  if (b === null || !sameShape(b, input.shape)) {
    throw new TypeError(`${fn}: ${name} of shape ${fmtShape(w.shape)} does not broadcast to the input shape ${fmtShape(input.shape)}; give it the input's shape or one that broadcasts to it (e.g. [${input.shape[input.ndim - 1] ?? 1}] for per-class values)`);
  }
  return w;
}

/** The class dimension's size: input [C] (unbatched) or [N, C, d1, ...]. */
function classCount(fn: string, input: Tensor): number {
  if (input.ndim === 0) throw new TypeError(`${fn}: input must have a class dimension: [N, C], [C] or [N, C, d1, ...]; got a 0-dim tensor`);
  return input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
}

/** The shape of class-index targets for `input`: its shape without the class dimension. */
function indexShape(input: Tensor): number[] {
  return input.ndim === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
}

function checkClassWeight(fn: string, w: Tensor | null | undefined, C: number, input: Tensor): Tensor | null {
  if (w === undefined || w === null) return null;
  checkTensor(fn, 'weight', w);
  if (w.ndim !== 1 || w.shape[0] !== C) {
    throw new TypeError(`${fn}: weight must be a 1-D tensor of one value per class, shape [${C}] for input shape ${fmtShape(input.shape)}; got shape ${fmtShape(w.shape)}`);
  }
  if (w.dtype !== input.dtype) throw new TypeError(`${fn}: weight dtype ${w.dtype} differs from input dtype ${input.dtype}; convert with weight.to('${input.dtype}')`);
  return w;
}

/** Flat index -> '[i, j, ...]' position in `shape`. */
function position(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${idx.join(', ')}]`;
}

/** The first element where `bad` is true: its value in `t`, its position and how many are bad; or null. */
function firstBad(t: Tensor, bad: Tensor): { value: string; at: string; count: number } | null {
  if (!bad.any().item()) return null;
  const flatBad = bad.reshape(-1);
  const i = Number(flatBad.nonzero().get(0, 0).item());
  return { value: fmtValue(t.reshape(-1).get(i).item()), at: position(i, t.shape), count: Number(flatBad.sum().item()) };
}

function checkClassIndices(fn: string, input: Tensor, target: Tensor, C: number, ignoreIndex: number): void {
  const expected = indexShape(input);
  const probsHint = fn === 'crossEntropy' ? `, or give class probabilities (floating point) of the input's shape ${fmtShape(input.shape)}` : '';
  if (target.isFloatingPoint()) {
    if (fn === 'crossEntropy' && !sameShape(target.shape, expected)) {
      throw new TypeError(`${fn}: target of shape ${fmtShape(target.shape)} (${target.dtype}) fits neither form: class indices (int64) of shape ${fmtShape(expected)}, or class probabilities (floating point) of the input's shape ${fmtShape(input.shape)}`);
    }
    throw new TypeError(`${fn}: class indices must be int64, got a ${target.dtype} target of shape ${fmtShape(target.shape)}; convert with target.long()${probsHint}`);
  }
  if (target.dtype !== 'int64') {
    throw new TypeError(`${fn}: class indices must be int64, got ${target.dtype}; convert with target.long()${probsHint}`);
  }
  if (!sameShape(target.shape, expected)) {
    let fix: string;
    if (sameShape(target.shape, input.shape) && input.ndim >= 1) {
      const cd = input.ndim === 1 ? 0 : 1;
      fix = `an int64 target of the input's shape looks one-hot: pass class indices target.argmax(${cd}) of shape ${fmtShape(expected)}${fn === 'crossEntropy' ? ', or class probabilities target.to(\'' + input.dtype + '\')' : ''}`;
    } else if (target.numel() === expected.reduce((a, b) => a * b, 1)) {
      fix = `reshape it: target.reshape([${expected.join(', ')}])`;
    } else {
      fix = `class indices have the input's shape without the class dimension (${input.ndim === 1 ? 'dim 0' : 'dim 1'})`;
    }
    throw new TypeError(`${fn}: target shape ${fmtShape(target.shape)} does not match input shape ${fmtShape(input.shape)}: class indices need shape ${fmtShape(expected)}; ${fix}`);
  }
  torch.tidy(() => {
    const bad = target.lt(0).logical_or(target.ge(C)).logical_and(target.ne(ignoreIndex));
    const b = firstBad(target, bad);
    if (b === null) return;
    throw new RangeError(`${fn}: target holds class index ${b.value} at ${b.at} (${b.count} of ${target.numel()} targets out of range); class indices must be in [0, ${C}) for an input with ${C} classes (dim ${input.ndim === 1 ? 0 : 1} of input shape ${fmtShape(input.shape)}), or equal ignoreIndex (${ignoreIndex})`);
  });
}

function checkIgnoreIndex(fn: string, v: unknown): number {
  const ii = v ?? -100;
  if (typeof ii !== 'number' || !Number.isInteger(ii)) throw new TypeError(`${fn}: ignoreIndex must be an integer, got ${String(ii)}`);
  return ii;
}

/** A floating target of the input's dtype and shape (the BCE losses). */
function checkSameTarget(fn: string, input: Tensor, target: unknown): asserts target is Tensor {
  checkTensor(fn, 'target', target);
  if (!target.isFloatingPoint() || target.dtype !== input.dtype) {
    throw new TypeError(`${fn}: target must be floating point with the input's dtype (${input.dtype}), got ${target.dtype}; convert with target.to('${input.dtype}')`);
  }
  if (!sameShape(target.shape, input.shape)) {
    throw new TypeError(`${fn}: target shape ${fmtShape(target.shape)} differs from input shape ${fmtShape(input.shape)}; they must be equal: ${shapeFix(input.shape, target.shape)}`);
  }
}

/** A suggestion for making a target's shape equal to the input's. */
function shapeFix(inp: readonly number[], tgt: readonly number[]): string {
  const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (sameShape(inp, [...tgt, 1])) return 'use input.squeeze(-1), or target.unsqueeze(-1)';
  if (sameShape(tgt, [...inp, 1])) return 'use target.squeeze(-1)';
  if (numel(inp) === numel(tgt)) return `if they hold the same elements, use target.reshape(${fmtShape(inp)})`;
  return 'give the target the input\'s shape';
}

/** Targets of the elementwise (regression) losses: floating point, the input's shape. */
function checkRegression(fn: string, input: unknown, target: unknown): asserts target is Tensor {
  checkFloatInput(fn, input, 'predictions');
  checkTensor(fn, 'target', target);
  if (!target.isFloatingPoint()) {
    throw new TypeError(`${fn}: target must be floating point, got ${target.dtype}; convert with target.to('${input.dtype}')${target.dtype === 'int64' ? ' (class indices belong to crossEntropy)' : ''}`);
  }
  if (!sameShape(input.shape, target.shape)) {
    const b = broadcastShape(input.shape, target.shape);
    const pt = b === null ? '' : ` (PyTorch would broadcast both to ${fmtShape(b)} with only a warning, a different loss from the one meant)`;
    throw new TypeError(`${fn}: input shape ${fmtShape(input.shape)} and target shape ${fmtShape(target.shape)} differ${pt}; ${shapeFix(input.shape, target.shape)}`);
  }
}

/** All elements of `t` must lie in [0, 1] (NaN does not). */
function checkUnit(fn: string, t: Tensor, name: string, hint: string): void {
  torch.tidy(() => {
    const bad = t.ge(0).logical_and(t.le(1)).logical_not();
    const b = firstBad(t, bad);
    if (b === null) return;
    throw new RangeError(`${fn}: ${name} holds ${b.value} at ${b.at} (${b.count} of ${t.numel()} elements outside [0, 1]); ${hint}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Functional forms

/**
 * Cross entropy of logits `input` ([N, C], [C] or [N, C, d1, ...]) against class indices (int64, the
 * input's shape without dim 1) or class probabilities (floating point, the input's shape), as
 * F.cross_entropy. The input holds raw scores: a softmax is applied here.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  checkOptions(fn, opts, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  const reduction = reductionCode(fn, opts.reduction);
  const ignoreIndex = checkIgnoreIndex(fn, opts.ignoreIndex);
  const ls = opts.labelSmoothing ?? 0;
  if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1)) throw new RangeError(`${fn}: labelSmoothing must be in [0, 1], got ${String(ls)}`);
  checkFloatInput(fn, input, 'logits');
  const C = classCount(fn, input);
  const weight = checkClassWeight(fn, opts.weight, C, input);
  checkTensor(fn, 'target', target);
  if (target.isFloatingPoint() && sameShape(target.shape, input.shape)) {
    if (ignoreIndex >= 0) {
      throw new RangeError(`${fn}: ignoreIndex (${ignoreIndex}) applies to class-index targets only, not to class probabilities (as in PyTorch); leave it out, or give a class weight of 0`);
    }
  } else {
    checkClassIndices(fn, input, target, C, ignoreIndex);
  }
  return torch.cross_entropy_loss(input, target, weight, reduction, ignoreIndex, ls);
}

/**
 * Negative log likelihood of log-probabilities `input` ([N, C], [C] or [N, C, d1, ...], e.g. a
 * logSoftmax output) against int64 class indices, as F.nll_loss.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  const fn = 'nllLoss';
  checkOptions(fn, opts, ['weight', 'ignoreIndex', 'reduction']);
  const reduction = reductionCode(fn, opts.reduction);
  const ignoreIndex = checkIgnoreIndex(fn, opts.ignoreIndex);
  checkFloatInput(fn, input, 'log-probabilities');
  const C = classCount(fn, input);
  const weight = checkClassWeight(fn, opts.weight, C, input);
  checkTensor(fn, 'target', target);
  checkClassIndices(fn, input, target, C, ignoreIndex);
  return torch.nll_loss_nd(input, target, weight, reduction, ignoreIndex);
}

/**
 * Binary cross entropy of probabilities `input` (in [0, 1], after a sigmoid) against targets in
 * [0, 1] of the same shape and dtype, as F.binary_cross_entropy. For logits use
 * binaryCrossEntropyWithLogits, which is numerically stabler.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCEOptions = {}): Tensor {
  const fn = 'binaryCrossEntropy';
  checkOptions(fn, opts, ['weight', 'reduction']);
  const reduction = reductionCode(fn, opts.reduction);
  checkFloatInput(fn, input, 'probabilities');
  checkSameTarget(fn, input, target);
  const weight = checkBroadcastWeight(fn, 'weight', opts.weight, input);
  checkUnit(fn, target, 'target', 'targets are probabilities: labels 0 and 1, or soft labels between');
  checkUnit(fn, input, 'input', 'binaryCrossEntropy takes probabilities (a sigmoid output); for raw scores (logits) use binaryCrossEntropyWithLogits');
  return torch.tidy(() => torch.binary_cross_entropy(input, target, weight === null ? null : weight.expand(input.shape), reduction));
}

/**
 * Binary cross entropy of logits `input` (a sigmoid is applied here) against targets in [0, 1] of
 * the same shape and dtype, as F.binary_cross_entropy_with_logits. posWeight weights the positive
 * term per class (broadcast to the input, usually [C]).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  checkOptions(fn, opts, ['weight', 'posWeight', 'reduction']);
  const reduction = reductionCode(fn, opts.reduction);
  checkFloatInput(fn, input, 'logits');
  checkSameTarget(fn, input, target);
  const weight = checkBroadcastWeight(fn, 'weight', opts.weight, input);
  const posWeight = checkBroadcastWeight(fn, 'posWeight', opts.posWeight, input);
  checkUnit(fn, target, 'target', 'targets are probabilities: labels 0 and 1, or soft labels between');
  return torch.binary_cross_entropy_with_logits(input, target, weight, posWeight, reduction);
}

/** Mean squared error between `input` and a floating `target` of the same shape, as F.mse_loss. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const fn = 'mseLoss';
  checkOptions(fn, opts, ['reduction']);
  const reduction = reductionCode(fn, opts.reduction);
  checkRegression(fn, input, target);
  return torch.mse_loss(input, target, reduction);
}

/** Mean absolute error between `input` and a floating `target` of the same shape, as F.l1_loss. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const fn = 'l1Loss';
  checkOptions(fn, opts, ['reduction']);
  const reduction = reductionCode(fn, opts.reduction);
  checkRegression(fn, input, target);
  return torch.l1_loss(input, target, reduction);
}

/**
 * Smooth L1: 0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta, as
 * F.smooth_l1_loss (beta 0 is the L1 loss).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1Options = {}): Tensor {
  const fn = 'smoothL1Loss';
  checkOptions(fn, opts, ['reduction', 'beta']);
  const reduction = reductionCode(fn, opts.reduction);
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) throw new RangeError(`${fn}: beta must be a finite number >= 0, got ${String(beta)}`);
  checkRegression(fn, input, target);
  return torch.smooth_l1_loss(input, target, reduction, beta);
}

/** Huber: 0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta), as F.huber_loss. */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  const fn = 'huberLoss';
  checkOptions(fn, opts, ['reduction', 'delta']);
  const reduction = reductionCode(fn, opts.reduction);
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) throw new RangeError(`${fn}: delta must be a finite number > 0, got ${String(delta)}`);
  checkRegression(fn, input, target);
  return torch.huber_loss(input, target, reduction, delta);
}

// ---------------------------------------------------------------------------------------------
// Modules: the options are checked when the module is made; weights are (persistent) buffers, as in
// PyTorch, so they follow the module's to() and appear in its state dict.

/** A loss module: call(input, target). */
export abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  reduction: Reduction;
  constructor(fn: string, opts: ReductionOptions, allowed: readonly string[]) {
    super();
    checkOptions(fn, opts, allowed);
    reductionCode(fn, opts.reduction);
    this.reduction = opts.reduction ?? 'mean';
  }
}

export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  ignoreIndex: number;
  labelSmoothing: number;
  constructor(opts: CrossEntropyOptions = {}) {
    super('CrossEntropyLoss', opts, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
    this.ignoreIndex = checkIgnoreIndex('CrossEntropyLoss', opts.ignoreIndex);
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) throw new RangeError(`CrossEntropyLoss: labelSmoothing must be in [0, 1], got ${String(opts.labelSmoothing)}`);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  ignoreIndex: number;
  constructor(opts: NLLLossOptions = {}) {
    super('NLLLoss', opts, ['weight', 'ignoreIndex', 'reduction']);
    this.ignoreIndex = checkIgnoreIndex('NLLLoss', opts.ignoreIndex);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class BCELoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts: BCEOptions = {}) {
    super('BCELoss', opts, ['weight', 'reduction']);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare posWeight: Tensor | null;
  constructor(opts: BCEWithLogitsOptions = {}) {
    super('BCEWithLogitsLoss', opts, ['weight', 'posWeight', 'reduction']);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('posWeight', opts.posWeight ?? null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super('MSELoss', opts, ['reduction']);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super('L1Loss', opts, ['reduction']);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  beta: number;
  constructor(opts: SmoothL1Options = {}) {
    super('SmoothL1Loss', opts, ['reduction', 'beta']);
    this.beta = opts.beta ?? 1;
    if (!(this.beta >= 0) || !Number.isFinite(this.beta)) throw new RangeError(`SmoothL1Loss: beta must be a finite number >= 0, got ${String(opts.beta)}`);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class HuberLoss extends Loss {
  delta: number;
  constructor(opts: HuberOptions = {}) {
    super('HuberLoss', opts, ['reduction', 'delta']);
    this.delta = opts.delta ?? 1;
    if (!(this.delta > 0) || !Number.isFinite(this.delta)) throw new RangeError(`HuberLoss: delta must be a finite number > 0, got ${String(opts.delta)}`);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}
