// nn.Module: parameters, buffers and submodules found on the module's own fields (as PyTorch's
// __setattr__ registers them), train/eval, device and dtype moves in place, state dicts, hooks and
// a summary table.

import { torch, Tensor, type DType, type DeviceLike, type MemoryFormat } from '../torch/index.js';

/** Marks a tensor as a trainable parameter: a kept leaf that requires grad (nn.Parameter). */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  const p = t.isLeaf && !t.requiresGrad ? t : torch.noGrad(() => t.detach());
  p._role = 'param';
  p.keep();
  if (requiresGrad) p.requiresGrad_(true);
  return p;
}

export function isParameter(v: unknown): v is Tensor {
  return v instanceof Tensor && v._role === 'param';
}

/** A module of any signature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

/** Sees the forward arguments; may return replacements (an array, or one value for a single argument). */
export type ForwardPreHook = (module: AnyModule, input: unknown[]) => unknown;
export type ForwardHook = (module: AnyModule, input: unknown[], output: unknown) => unknown;

/** Removes a hook when called or disposed. */
export class HookHandle implements Disposable {
  constructor(private readonly removeFn: () => void) {}
  remove(): void {
    this.removeFn();
  }
  [Symbol.dispose](): void {
    this.remove();
  }
}

export interface StateDictOptions {
  prefix?: string;
  /** Return the parameters themselves instead of detached views. */
  keepVars?: boolean;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export class StateDictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDictError';
  }
}

/**
 * Base class of every layer and model. Subclasses assign parameters (`nn.Parameter(...)`),
 * buffers (`this.registerBuffer(...)`) and submodules to fields and implement `forward`; callers use
 * `call(...)`, which runs the hooks around `forward`.
 */
export class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  training = true;
  private _preHooks: Map<number, ForwardPreHook> | undefined;
  private _hooks: Map<number, ForwardHook> | undefined;
  private static _hookId = 0;

  forward(..._args: In): Out {
    throw new Error(`${this.constructor.name}.forward() is not implemented`);
  }

  /** Runs forward with the registered hooks, as calling a module does in PyTorch. */
  call(...args: In): Out {
    let input: unknown[] = args;
    if (this._preHooks) {
      for (const h of this._preHooks.values()) {
        const r: unknown = h(this as AnyModule, input);
        if (r !== undefined) input = Array.isArray(r) ? r : [r];
      }
    }
    let out = this.forward(...(input as In));
    if (this._hooks) {
      for (const h of this._hooks.values()) {
        const r = h(this as AnyModule, input, out);
        if (r !== undefined) out = r as Out;
      }
    }
    return out;
  }

  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    const id = Module._hookId++;
    (this._preHooks ??= new Map()).set(id, hook);
    return new HookHandle(() => this._preHooks?.delete(id));
  }

  registerForwardHook(hook: ForwardHook): HookHandle {
    const id = Module._hookId++;
    (this._hooks ??= new Map()).set(id, hook);
    return new HookHandle(() => this._hooks?.delete(id));
  }

  // ---- registration ----

  /** Adds a parameter under `name` (also as a field); null leaves a named gap, like bias=False. */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName(this, name);
    const p = t === null ? null : t._role === 'param' ? t : Parameter(t);
    this.remember(name);
    (this as unknown as Record<string, unknown>)[name] = p;
    return p;
  }

  /** Adds a buffer: state that is saved (unless persistent is false) but not trained. */
  registerBuffer(name: string, t: Tensor | null, opts: { persistent?: boolean } = {}): Tensor | null {
    checkName(this, name);
    if (t !== null) {
      t._role = opts.persistent === false ? 'buffer-np' : 'buffer';
      t.keep();
    }
    this.remember(name);
    (this as unknown as Record<string, unknown>)[name] = t;
    return t;
  }

  registerModule<M extends AnyModule>(name: string, m: M): M {
    checkName(this, name);
    this.remember(name);
    (this as unknown as Record<string, unknown>)[name] = m;
    return m;
  }

  // ---- traversal ----

  /**
   * Names registered through registerModule/registerParameter/registerBuffer, in registration
   * order: Object.keys lists integer-like names ('0', '1') first, which would reorder containers.
   */
  private _order: string[] | undefined;

  /**
   * Own fields, private (underscore) ones left out, in JS property order (declared class fields in
   * declaration order, then assigned ones in assignment order), except that the slots of registered
   * names are filled in registration order: JS lists integer-like names ('0', '1') before all others.
   */
  private *fields(): Generator<[string, unknown]> {
    const rec = this as unknown as Record<string, unknown>;
    const keys = Object.keys(this).filter((k) => !k.startsWith('_') && k !== 'training');
    const order = this._order?.filter((k) => k in rec);
    if (order === undefined || order.length === 0) {
      for (const k of keys) yield [k, rec[k]];
      return;
    }
    const registered = new Set(order);
    let next = 0;
    for (const k of keys) {
      const name = registered.has(k) ? order[next++]! : k;
      yield [name, rec[name]];
    }
  }

  private remember(name: string): void {
    const order = (this._order ??= []);
    if (!order.includes(name)) order.push(name);
  }

  *namedChildren(): Generator<[string, AnyModule]> {
    for (const [k, v] of this.fields()) if (v instanceof Module) yield [k, v as AnyModule];
  }

  *children(): Generator<AnyModule> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  *namedModules(prefix = '', seen = new Set<AnyModule>()): Generator<[string, AnyModule]> {
    const self = this as AnyModule;
    if (seen.has(self)) return;
    seen.add(self);
    yield [prefix, self];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k, seen);
  }

  *modules(): Generator<AnyModule> {
    for (const [, m] of this.namedModules()) yield m;
  }

  *namedParameters(opts: { prefix?: string; recurse?: boolean } = {}): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, AnyModule]> = opts.recurse === false ? [[opts.prefix ?? '', this as AnyModule]] : this.namedModules(opts.prefix ?? '');
    for (const [mp, m] of mods) {
      for (const [k, v] of m.fields()) {
        if (isParameter(v) && !seen.has(v)) {
          seen.add(v);
          yield [mp ? `${mp}.${k}` : k, v];
        }
      }
    }
  }

  parameters(recurse = true): Tensor[] {
    return [...this.namedParameters({ recurse })].map(([, p]) => p);
  }

  *namedBuffers(opts: { prefix?: string; recurse?: boolean; persistentOnly?: boolean } = {}): Generator<[string, Tensor]> {
    const mods: Iterable<[string, AnyModule]> = opts.recurse === false ? [[opts.prefix ?? '', this as AnyModule]] : this.namedModules(opts.prefix ?? '');
    const seen = new Set<Tensor>();
    for (const [mp, m] of mods) {
      for (const [k, v] of m.fields()) {
        if (v instanceof Tensor && !seen.has(v) && (v._role === 'buffer' || (v._role === 'buffer-np' && !opts.persistentOnly))) {
          seen.add(v);
          yield [mp ? `${mp}.${k}` : k, v];
        }
      }
    }
  }

  buffers(recurse = true): Tensor[] {
    return [...this.namedBuffers({ recurse })].map(([, b]) => b);
  }

  /** Applies fn to every submodule (children first) and to this module, like PyTorch's apply. */
  apply(fn: (m: AnyModule) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this as AnyModule);
    return this;
  }

  /** Number of parameter elements (trainable only, if asked). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    return this.parameters().filter((p) => !opts.trainableOnly || p.requiresGrad).reduce((s, p) => s + p.numel(), 0);
  }

  // ---- modes ----

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Freezes (false) or unfreezes every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Clears gradients: sets them to null (default) or zeroes them in place. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (opts.setToNone === false) {
        torch.tidy(() => {
          const g = p.grad;
          if (g !== null) g.zero_();
        });
      } else {
        p.grad = null;
      }
    }
  }

  /**
   * Moves parameters and buffers to a device and/or dtype in place (floating tensors only change
   * dtype), keeping the same tensor objects, so optimizers built before still hold them.
   */
  to(target: DeviceLike | DType | { device?: DeviceLike; dtype?: DType; memoryFormat?: MemoryFormat }): this {
    const opts: { device?: DeviceLike; dtype?: DType; memoryFormat?: MemoryFormat } = typeof target === 'string'
      ? (target.startsWith('cpu') || target.startsWith('cuda') || target === 'meta' ? { device: target } : { dtype: target as DType })
      : target;
    // As PyTorch: a memory format (channels_last for convolutions on CUDA) applies to 4-D tensors only.
    const mf = opts.memoryFormat;
    if (mf !== undefined && mf !== 'channels_last' && mf !== 'contiguous_format' && mf !== 'preserve_format') {
      throw new TypeError(`Module.to(): memoryFormat must be 'channels_last', 'contiguous_format' or 'preserve_format', got '${String(mf)}'`);
    }
    const move = (t: Tensor): void => {
      torch.tidy(() => {
        const dtype = opts.dtype !== undefined && t.isFloatingPoint() ? opts.dtype : undefined;
        const where = { ...(opts.device !== undefined ? { device: opts.device } : {}), ...(dtype !== undefined ? { dtype } : {}) };
        const format = mf !== undefined && t.ndim === 4 ? { memoryFormat: mf } : {};
        const moved = t.to({ ...where, ...format });
        if (moved === t) return;
        const g = t.grad;
        t.setData(moved);
        if (g !== null) t.grad = g.to({ ...where, ...format });
      });
    };
    for (const p of this.parameters()) move(p);
    for (const b of this.buffers()) move(b);
    return this;
  }

  cpu(): this {
    return this.to('cpu');
  }

  cuda(index = 0): this {
    return this.to(`cuda:${index}`);
  }

  float(): this { return this.to('float32'); }
  double(): this { return this.to('float64'); }
  half(): this { return this.to('float16'); }
  bfloat16(): this { return this.to('bfloat16'); }

  // ---- state ----

  /**
   * Parameters and persistent buffers by dotted name, as PyTorch's state_dict. The tensors are
   * detached views of the module's own (free them, or call inside a tidy); keepVars returns the
   * parameters themselves.
   */
  stateDict(opts: StateDictOptions = {}): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    // As PyTorch: every path to a tensor gets its key (a module shared under two names appears
    // under both), and only a cycle stops the walk.
    const walk = (m: AnyModule, prefix: string, path: Set<AnyModule>): void => {
      if (path.has(m)) return;
      path.add(m);
      for (const [k, v] of m.fields()) {
        if (v instanceof Tensor && (v._role === 'param' || v._role === 'buffer')) out[prefix + k] = opts.keepVars ? v : v.detach();
      }
      for (const [k, c] of m.namedChildren()) walk(c, `${prefix}${k}.`, path);
      path.delete(m);
    };
    const prefix = opts.prefix ?? '';
    walk(this as AnyModule, prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`, new Set());
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers. With strict (the
   * default) missing and unexpected keys are errors; a shape mismatch always is.
   */
  loadStateDict(state: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !(k in own));
    const errors: string[] = [];
    for (const [k, target] of Object.entries(own)) {
      const src = state[k];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) {
        errors.push(`${k}: expected a Tensor in the state dict, got ${typeof src}`);
        continue;
      }
      const a = target.shape;
      const b = src.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        errors.push(`size mismatch for ${k}: copying a param with shape [${b.join(', ')}] from checkpoint, the shape in current model is [${a.join(', ')}]`);
      }
    }
    if (strict) {
      if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (errors.length) {
      throw new StateDictError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    torch.noGrad(() => torch.tidy(() => {
      for (const [k, target] of Object.entries(own)) {
        const src = state[k];
        if (src !== undefined) target.copy_(src);
      }
    }));
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter and buffer of this module and its submodules. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  // ---- description ----

  /** One line per layer, as PyTorch prints a module. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([k, m]) => `  (${k}): ${String(m).split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /**
   * A table of layers with their output shapes and parameter counts, as Lightning's summary,
   * from one forward pass on `input` in eval mode (no gradients recorded; modes are restored).
   */
  summary(...input: In): string {
    const rows: { name: string; type: string; shape: string; params: number }[] = [];
    const handles: HookHandle[] = [];
    for (const [name, m] of this.namedModules()) {
      if (name === '') continue;
      // Counted with the submodules, as Lightning's summary does.
      const row = { name, type: m.constructor.name, shape: '-', params: m.numParameters() };
      rows.push(row);
      handles.push(m.registerForwardHook((_mod, _in, out) => {
        row.shape = describeShape(out);
      }));
    }
    let outShape = '-';
    // Eval mode for the pass, as Lightning does, so batch-norm statistics and dropout's random
    // stream stay as they were; each module's own mode is restored after.
    const modes = [...this.modules()].map((m) => [m, m.training] as const);
    this.eval();
    try {
      torch.noGrad(() => torch.tidy(() => {
        outShape = describeShape(this.call(...input));
      }));
    } finally {
      for (const h of handles) h.remove();
      for (const [m, t] of modes) m.training = t;
    }
    const total = this.numParameters();
    const trainable = this.numParameters({ trainableOnly: true });
    const header = ['', 'Name', 'Type', 'Output shape', 'Params'];
    const body = rows.map((r, i) => [String(i), r.name, r.type, r.shape, formatCount(r.params)]);
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
    const fmt = (r: string[]) => r.map((v, c) => (c === 4 ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join(' | ');
    const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
    return [fmt(header), rule, ...body.map(fmt), rule,
      `${formatCount(trainable)} trainable params`, `${formatCount(total - trainable)} non-trainable params`,
      `${formatCount(total)} total params`, `output shape ${outShape}`].join('\n');
  }
}

function checkName(m: object, name: string): void {
  if (!name || name.includes('.') || name.startsWith('_')) throw new TypeError(`invalid attribute name '${name}': names are non-empty, without '.', and do not start with '_'`);
  if (name === 'training' || name in Module.prototype || name in Object.getPrototypeOf(m)) {
    throw new TypeError(`'${name}' is the name of a member of ${m.constructor.name}; register the parameter, buffer or module under another name`);
  }
}

function describeShape(v: unknown): string {
  if (v instanceof Tensor) return v.isDisposed ? '?' : `[${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `(${v.map(describeShape).join(', ')})`;
  return '-';
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}
