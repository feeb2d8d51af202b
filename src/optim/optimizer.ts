// The optimizer base class, shaped like torch.optim.Optimizer: parameter groups with per-group
// hyperparameters, per-parameter state, zeroGrad, step, state dicts. Memory: step() runs inside a
// tidy under noGrad, so every temporary it makes is freed; state tensors are kept (exempt from
// scopes) and freed by dispose() or when a state dict replaces them.

import { torch, Tensor } from '../torch/index.js';

/** One entry of a parameter's state: a tensor (kept by the optimizer), a number (e.g. 'step') or null. */
export type StateValue = Tensor | number | null;
/** A parameter's state, under PyTorch's names ('momentum_buffer', 'exp_avg', 'exp_avg_sq', 'step', ...). */
export type ParamState = Record<string, StateValue>;

/** What every optimizer's options have. */
export interface BaseOptions {
  lr: number;
}

/**
 * A parameter group: its parameters and every option of the optimizer (those the group did not
 * give come from the constructor's defaults). Schedulers add keys ('initialLr', 'maxLr', ...).
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & { params: Tensor[]; [key: string]: unknown };

/** A parameter group as passed in: its parameters and any options that differ from the defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & { params: Iterable<Tensor> | Tensor; [key: string]: unknown };

/** What the constructor takes: the parameters, or a list of groups. */
export type Params<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A state dict like PyTorch's: state by parameter position, groups with their parameters' positions. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

export interface ZeroGradOptions {
  /** Set grads to null instead of zeroing them (default true, as in PyTorch 2.x). */
  setToNone?: boolean;
}

/** The closure passed to step(): recomputes the loss (backward included) and returns it. */
export type Closure<L> = () => L;

/** An optimizer's error: bad options, bad parameters, a state dict that does not fit. */
export class OptimizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerError';
  }
}

/** Marks a default that each group must give (PyTorch's `required`, SGD's lr). */
export const REQUIRED: unique symbol = Symbol('required');

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function copyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyValue);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)]));
  return v;
}

function shapeText(s: number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Base class of all optimizers. Subclasses give their defaults, validate options, and implement
 * `update()` for one group's parameters that have a gradient.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The constructor's options: what a group falls back to. */
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, keyed by the parameter tensor. */
  readonly state = new Map<Tensor, ParamState>();
  /** Number of step() calls so far. */
  stepCount = 0;
  /**
   * True while a CUDA graph records step() (set by GraphedTrainStep): the learning-rate tensors of
   * capturable groups are then left alone, since a fill recorded now would replay today's value.
   */
  capturing = false;
  /** Capturable groups' learning rates as 0-dim float64 tensors, per group and device. */
  private readonly lrTensors = new Map<ParamGroup<O>, Map<string, [Tensor, number]>>();

  /**
   * `given`: the options the caller passed, checked against the defaults' keys so that a misspelt
   * or snake_case option (weight_decay for weightDecay) is an error instead of being ignored.
   */
  constructor(params: Params<O>, defaults: O, given?: object) {
    if (params instanceof Tensor) {
      throw new TypeError(`${this.constructor.name}: params must be an iterable of Tensors or of parameter groups, but got a Tensor (${torch.describe(params)}); wrap it in an array`);
    }
    if (params === null || params === undefined || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${this.constructor.name}: params must be an iterable of Tensors or of parameter groups, got ${params === null ? 'null' : typeof params}`);
    }
    this.defaults = defaults;
    if (given !== undefined && given !== null) {
      for (const k of Object.keys(given)) {
        if (k in defaults) continue;
        const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        throw new TypeError(`${this.constructor.name}: unknown option '${k}'${camel in defaults ? ` (Sous spells it ${camel})` : ''}; options are ${Object.keys(defaults).join(', ')}`);
      }
    }
    this.validate(defaults as unknown as Record<string, unknown>, 'options');
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new OptimizerError(`${this.constructor.name}: got an empty parameter list`);
    const groups: ParamGroupInput<O>[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Checks option values (of the defaults, then of each group) and throws a clear error; subclasses
   * override it. `where` names the group in messages.
   */
  protected validate(_opts: Record<string, unknown>, _where: string): void {}

  /** Adds a group (for fine-tuning: unfreeze layers and train them with their own lr). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.constructor.name;
    const where = `parameter group ${this.paramGroups.length}`;
    if (!isPlainObject(group)) {
      throw new TypeError(`${name}: a parameter group must be a plain object { params, ...options }, got ${(group as unknown) instanceof Tensor ? 'a Tensor mixed with groups' : typeof group}`);
    }
    if (!('params' in group)) throw new TypeError(`${name}: ${where} has no 'params'`);
    const raw: unknown = group.params;
    let params: Tensor[];
    if (raw instanceof Tensor) params = [raw];
    else if (raw !== null && typeof raw === 'object' && Symbol.iterator in raw) params = [...(raw as Iterable<Tensor>)];
    else throw new TypeError(`${name}: 'params' of ${where} must be a Tensor or an iterable of Tensors`);
    if (params.length === 0) throw new OptimizerError(`${name}: ${where} has an empty parameter list`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`${name}: can only optimize Tensors, but parameter ${i} of ${where} is ${p === null ? 'null' : typeof p}`);
      }
      if (p.isDisposed) throw new OptimizerError(`${name}: parameter ${i} of ${where} is disposed`);
      if (!p.isLeaf && !p.retainsGrad) {
        throw new OptimizerError(`${name}: can't optimize a non-leaf Tensor: parameter ${i} of ${where} (${torch.describe(p)}) was computed by ${p.gradFn}; `
          + 'optimize the leaf it came from, or make a new leaf with t.detach().requiresGrad_()');
      }
      if (!p.isFloatingPoint() && !p.isComplex()) {
        throw new OptimizerError(`${name}: parameter ${i} of ${where} is ${torch.describe(p)}; only floating point and complex tensors can be optimized`);
      }
      if (seen.has(p)) throw new OptimizerError(`${name}: ${where} holds parameter ${i} (${torch.describe(p)}) more than once`);
      seen.add(p);
    });
    this.paramGroups.forEach((g, gi) => {
      for (const p of g.params) {
        if (seen.has(p)) {
          throw new OptimizerError(`${name}: some parameters appear in more than one parameter group: parameter ${params.indexOf(p)} of ${where} (${torch.describe(p)}) is already in parameter group ${gi}`);
        }
      }
    });
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params') continue;
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (camel !== k && camel in this.defaults) throw new TypeError(`${name}: ${where} has option '${k}'; Sous spells it ${camel}`);
      merged[k] = copyValue(v);
    }
    for (const [k, v] of Object.entries(this.defaults)) {
      if (merged[k] !== undefined) continue;
      if (v === REQUIRED) throw new OptimizerError(`${name}: ${where} didn't specify a value of required optimization parameter ${k}`);
      merged[k] = copyValue(v);
    }
    this.validate(merged, where);
    this.paramGroups.push({ ...merged, params } as ParamGroup<O>);
  }

  /**
   * Sets the gradients of all optimized parameters to null (default) or, with setToNone false, to
   * zero. With null grads a parameter is skipped by step(); with zero grads it is still stepped
   * (weight decay, momentum).
   */
  zeroGrad(opts: ZeroGradOptions = {}): void {
    const setToNone = opts.setToNone ?? true;
    torch.tidy(() => {
      const buckets = new Map<string, Tensor[]>();
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (setToNone) {
            p.grad = null;
            continue;
          }
          const g = p.grad;
          if (g === null) continue;
          if (g.gradFn !== null) g.detach_();
          else if (g.requiresGrad) g.requiresGrad_(false);
          const key = `${g.device}|${g.dtype}`;
          const b = buckets.get(key);
          if (b === undefined) buckets.set(key, [g]);
          else b.push(g);
        }
      }
      for (const b of buckets.values()) torch._foreach_zero_(b);
    });
  }

  /** zero_grad, PyTorch's spelling. */
  zero_grad(opts: ZeroGradOptions = {}): void {
    this.zeroGrad(opts);
  }

  /**
   * One optimization step. With a closure, the closure runs first (with grad enabled) and its result
   * is returned; the update itself runs under noGrad inside a tidy.
   */
  step<L = undefined>(closure?: Closure<L>): L | undefined {
    let loss: L | undefined;
    if (closure !== undefined) loss = torch.enableGrad(closure);
    if (!this.capturing) this.refreshLr();
    torch.tidy(() => torch.noGrad(() => {
      for (const group of this.paramGroups) {
        const params: Tensor[] = [];
        const grads: Tensor[] = [];
        for (const p of group.params) {
          const g = p.grad;
          if (g === null) continue;
          params.push(p);
          grads.push(g);
        }
        if (params.length === 0) continue;
        const foreach = group.foreach as boolean | null | undefined;
        if (foreach === false || group.capturable === true) {
          this.update(group, params, grads, false);
          continue;
        }
        // Foreach ops take tensors of one device and dtype: group by both. Left to the default
        // (null), the foreach path is taken when the group is uniform, else the per-tensor one.
        const buckets = new Map<string, [Tensor[], Tensor[]]>();
        params.forEach((p, i) => {
          const key = `${p.device}|${p.dtype}`;
          let b = buckets.get(key);
          if (b === undefined) buckets.set(key, (b = [[], []]));
          b[0].push(p);
          b[1].push(grads[i]!);
        });
        if (buckets.size === 1) this.update(group, params, grads, true);
        else if (foreach === true) for (const [ps, gs] of buckets.values()) this.update(group, ps, gs, true);
        else this.update(group, params, grads, false);
      }
    }));
    this.stepCount++;
    return loss;
  }

  /**
   * Updates one group's parameters that have gradients. `foreach` true: all tensors share a device
   * and dtype and the `_foreach_*` ops may be used; false: one op at a time per tensor. Both must
   * give the same numbers. Runs under noGrad inside a tidy: temporaries need no disposal, new
   * state tensors must be kept (use `this.keepState`).
   */
  protected abstract update(group: ParamGroup<O>, params: Tensor[], grads: Tensor[], foreach: boolean): void;

  /**
   * A capturable group's learning rate on `device`, as a kept 0-dim float64 tensor that the
   * update reads on the device (so a CUDA graph replays the current lr, not the captured one).
   * Created on first use, outside a capture: a tensor made during a capture would be refilled with
   * the captured value on every replay.
   */
  protected lrTensor(group: ParamGroup<O>, device: string): Tensor {
    let m = this.lrTensors.get(group);
    if (m === undefined) this.lrTensors.set(group, (m = new Map()));
    const have = m.get(device);
    if (have !== undefined) return have[0];
    this.refuseWhileCapturing(`a capturable group met device ${device} for the first time`);
    const t = torch.noGrad(() => torch.full([], group.lr, { dtype: 'float64', device })).keep();
    m.set(device, [t, group.lr]);
    return t;
  }

  /**
   * Copies each capturable group's lr (changed by a schedule) into its device tensor. step() does
   * it; a CUDA-graph step calls it before each replay. A no-op for groups whose lr is unchanged.
   */
  refreshLr(): void {
    for (const [group, m] of this.lrTensors) {
      for (const entry of m.values()) {
        if (entry[1] === group.lr) continue;
        torch.noGrad(() => entry[0].fill_(group.lr));
        entry[1] = group.lr;
      }
    }
  }

  /**
   * A capturable parameter's step count as a kept 0-dim float64 tensor on its device (PyTorch's
   * capturable optimizers keep it there, so that the bias corrections need no host value). A count
   * loaded from a state dict as a number is moved onto the device here.
   */
  protected stepTensor(s: ParamState, p: Tensor): Tensor {
    const v = s.step;
    if (v instanceof Tensor) return v;
    this.refuseWhileCapturing("a parameter's step count was created");
    const t = torch.full([], typeof v === 'number' ? v : 0, { dtype: 'float64', device: p.device });
    this.setState(s, 'step', t);
    return t;
  }

  /**
   * Throws when a CUDA graph is being recorded: `what` happened, which a replay would redo (a zero
   * fill, a copy) instead of carrying the state on. The fix is an eager warm-up step.
   */
  protected refuseWhileCapturing(what: string): void {
    if (this.capturing) {
      throw new OptimizerError(`${this.constructor.name}: ${what} during a CUDA-graph capture; run at least one eager step (warm-up) before capturing`);
    }
  }

  /**
   * Counts one more step for a parameter: on its device (the tensor, for capturable groups) or as a
   * number (a tensor count, from a capturable run or a state dict, is read back first).
   */
  protected advanceStep(s: ParamState, p: Tensor, capturable: boolean): Tensor | number {
    if (capturable) return this.stepTensor(s, p).add_(1);
    s.step = (s.step instanceof Tensor ? Number(s.step.item()) : (s.step as number)) + 1;
    return s.step;
  }

  /**
   * A new zero state tensor shaped like `p` (momentum, moments). Refused during a CUDA-graph
   * capture: its zero fill would be recorded and would reset the state on every replay.
   */
  protected zerosState(p: Tensor): Tensor {
    this.refuseWhileCapturing("a parameter's state was created");
    return torch.zeros_like(p, { memoryFormat: 'preserve_format' });
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) this.state.set(p, (s = {}));
    return s;
  }

  /** Stores a tensor in a parameter's state: kept, and the tensor it replaces (if another) is disposed. */
  protected setState(s: ParamState, key: string, t: Tensor | null): void {
    const old = s[key];
    if (old instanceof Tensor && old !== t) old.dispose();
    if (t !== null) t.keep();
    s[key] = t;
  }

  /** All parameters, in group order (the positions used by state dicts). */
  allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * The optimizer's state as PyTorch lays it out: `state` keyed by parameter position (over all
   * groups in order), `param_groups` with each group's options and its parameters' positions.
   * State tensors are cloned (the clones belong to the caller's scope); numbers are copied.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[k] = copyValue(v);
      packed.params = g.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) index.set(p, (i = next++));
        return i;
      });
      return packed as Record<string, unknown> & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    torch.noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        const out: ParamState = {};
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof Tensor) {
            const d = v.detach(); // a temporary: only the clone goes to the caller
            out[k] = d.clone();
            d.dispose();
          } else {
            out[k] = v;
          }
        }
        state[i] = out;
      }
    });
    return { state, param_groups: paramGroups };
  }

  /** state_dict, PyTorch's spelling. */
  state_dict(): OptimizerStateDict {
    return this.stateDict();
  }

  /**
   * Loads a state dict from stateDict() (of an optimizer over parameters of the same shapes, in the
   * same order): group options are replaced by the saved ones, state tensors are copied onto each
   * parameter's device (and dtype, for floating parameters). The state dict itself is not changed.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (!isPlainObject(sd) || !Array.isArray(sd.param_groups) || !isPlainObject(sd.state)) {
      throw new OptimizerError(`${name}.loadStateDict: expected { state, param_groups } as returned by stateDict()`);
    }
    const groups = this.paramGroups;
    const saved = sd.param_groups;
    if (groups.length !== saved.length) {
      throw new OptimizerError(`${name}.loadStateDict: loaded state dict has ${saved.length} parameter group(s), the optimizer has ${groups.length}`);
    }
    saved.forEach((sg, i) => {
      if (!isPlainObject(sg) || !Array.isArray(sg.params)) throw new OptimizerError(`${name}.loadStateDict: param_groups[${i}] has no 'params' list`);
      if (sg.params.length !== groups[i]!.params.length) {
        throw new OptimizerError(`${name}.loadStateDict: parameter group ${i} has ${sg.params.length} parameter(s) in the state dict, ${groups[i]!.params.length} in the optimizer`);
      }
    });
    const idMap = new Map<number, Tensor>();
    saved.forEach((sg, gi) => sg.params.forEach((id, j) => idMap.set(Number(id), groups[gi]!.params[j]!)));
    // Check everything before changing anything.
    for (const [key, s] of Object.entries(sd.state)) {
      const p = idMap.get(Number(key));
      if (p === undefined) {
        throw new OptimizerError(`${name}.loadStateDict: the state dict has state for parameter ${key}, but its param_groups list parameters ${[...idMap.keys()].join(', ')}`);
      }
      if (!isPlainObject(s)) throw new OptimizerError(`${name}.loadStateDict: state[${key}] is not an object`);
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          if (v.isDisposed) throw new OptimizerError(`${name}.loadStateDict: state[${key}].${k} is a disposed tensor`);
          if (k !== 'step' && v.ndim > 0 && (v.shape.length !== p.shape.length || v.shape.some((d, j) => d !== p.shape[j]))) {
            throw new OptimizerError(`${name}.loadStateDict: state[${key}].${k} has shape ${shapeText(v.shape)}, but parameter ${key} (${torch.describe(p)}) has shape ${shapeText(p.shape)}`);
          }
        } else if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new OptimizerError(`${name}.loadStateDict: state[${key}].${k} is ${typeof v}; expected a Tensor, a number or null`);
        }
      }
    }
    const fresh = new Map<Tensor, ParamState>();
    // tidy: detach() makes a temporary per state tensor besides the kept copy
    torch.noGrad(() => torch.tidy(() => {
      for (const [key, s] of Object.entries(sd.state)) {
        const p = idMap.get(Number(key))!;
        const out: ParamState = {};
        for (const [k, v] of Object.entries(s as ParamState)) {
          if (v instanceof Tensor) {
            if (k === 'step') out[k] = Number(v.item());
            else {
              const dtype = p.isFloatingPoint() || p.isComplex() ? p.dtype : v.dtype;
              out[k] = v.detach().to({ device: p.device, dtype, copy: true }).keep();
            }
          } else {
            out[k] = v;
          }
        }
        fresh.set(p, out);
      }
    }));
    this.disposeState();
    for (const [p, s] of fresh) this.state.set(p, s);
    saved.forEach((sg, i) => {
      const g = groups[i]!;
      const params = g.params;
      for (const k of Object.keys(g)) if (k !== 'params') delete (g as Record<string, unknown>)[k];
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') (g as Record<string, unknown>)[k] = copyValue(v);
      g.params = params;
    });
  }

  /** load_state_dict, PyTorch's spelling. */
  load_state_dict(sd: OptimizerStateDict): void {
    this.loadStateDict(sd);
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  private disposeLr(): void {
    for (const m of this.lrTensors.values()) for (const [t] of m.values()) t.dispose();
    this.lrTensors.clear();
  }

  /** Frees the state tensors (momentum buffers, moments). The optimizer starts afresh if stepped again. */
  dispose(): void {
    this.disposeState();
    this.disposeLr();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    let s = `${this.constructor.name} (`;
    this.paramGroups.forEach((g, i) => {
      s += `\nParameter Group ${i}\n`;
      for (const k of Object.keys(g).sort()) if (k !== 'params') s += `    ${k}: ${JSON.stringify(g[k])}\n`;
    });
    return s + ')';
  }
}

// ---------------------------------------------------------------------------------------------
// Validation helpers shared by the optimizers.

/** Throws a RangeError naming the optimizer, the option and the group unless `ok`. */
export function check(ok: boolean, optimizer: string, where: string, message: string): void {
  if (!ok) throw new RangeError(`${optimizer}: ${message}${where === 'options' ? '' : ` (in ${where})`}`);
}

/** A finite number >= 0. */
export function nonNegative(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && Number.isFinite(v);
}

/** Checks that `opts[key]` is a number / a boolean. */
export function checkTypes(opts: Record<string, unknown>, optimizer: string, where: string, numbers: string[], booleans: string[]): void {
  for (const k of numbers) {
    if (opts[k] === REQUIRED) continue;
    if (typeof opts[k] !== 'number') throw new TypeError(`${optimizer}: option ${k} must be a number, got ${JSON.stringify(opts[k]) ?? typeof opts[k]}${where === 'options' ? '' : ` (in ${where})`}`);
  }
  for (const k of booleans) {
    if (typeof opts[k] !== 'boolean') throw new TypeError(`${optimizer}: option ${k} must be a boolean, got ${JSON.stringify(opts[k]) ?? typeof opts[k]}${where === 'options' ? '' : ` (in ${where})`}`);
  }
  const f = opts.foreach;
  if (f !== undefined && f !== null && typeof f !== 'boolean') throw new TypeError(`${optimizer}: option foreach must be a boolean or null, got ${JSON.stringify(f)}`);
}
