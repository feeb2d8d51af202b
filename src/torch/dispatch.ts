// Calls generated ops the way PyTorch's Python argument parser does: the first overload whose
// parameters accept the given arguments wins (Tensor before Scalar), defaults are filled from the
// schema, keyword arguments come in a trailing plain object, and sizes may be given as varargs.

import type { Overload } from './dispatch-types.js';
import { SCHEMA } from './gen/schema.js';
import { native, core, type Handle, type NativeFn } from './native.js';
import { AnomalyError, fromNative } from './errors.js';
import { DTYPE_CODE, DTYPE_OF_CODE, LAYOUT_CODE, MEMORY_FORMAT_CODE, isDevice, type DType } from './types.js';
import { Tensor, describe } from './tensor.js';
import { anomalyState } from './anomaly-state.js';

const REQUIRED = 'REQUIRED';
const NO = Symbol('no match');
type Encoded = unknown;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function isInt(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

function isScalar(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    || (isPlainObject(v) && typeof v.float === 'number' && Object.keys(v).length === 1);
}

function listSize(code: string): number {
  const m = /^[a-z]\[(\d+)\]/.exec(code);
  return m ? Number(m[1]) : 0;
}

/** Converts one JS argument to what the native entry point takes, or NO when it does not fit. */
function encode(code: string, v: unknown): Encoded | typeof NO {
  const optional = code.endsWith('?') && !code.endsWith('?[]');
  if (optional && (v === null || v === undefined)) return null;
  const base = optional ? code.slice(0, -1) : code;
  switch (base[0]) {
    case 'T':
      if (base === 'T') return v instanceof Tensor ? v._h : NO;
      if (!Array.isArray(v)) return NO;
      if (base === 'T[]') {
        const out: Handle[] = [];
        for (const e of v) { if (!(e instanceof Tensor)) return NO; out.push(e._h); }
        return out;
      }
      {
        const out: (Handle | null)[] = [];
        for (const e of v) {
          if (e === null || e === undefined) out.push(null);
          else if (e instanceof Tensor) out.push(e._h);
          else return NO;
        }
        return out;
      }
    case 'i':
      if (base === 'i') return isInt(v) ? v : NO;
      if (isInt(v)) {
        const n = listSize(base);
        return n > 1 ? new Array<unknown>(n).fill(v) : [v];
      }
      if (!Array.isArray(v)) return NO;
      for (const e of v) if (!isInt(e)) return NO;
      return v;
    case 'f':
      if (base === 'f') return typeof v === 'number' ? v : NO;
      if (typeof v === 'number') return [v];
      if (!Array.isArray(v)) return NO;
      for (const e of v) if (typeof e !== 'number') return NO;
      return v;
    case 'b':
      if (base === 'b') return typeof v === 'boolean' ? v : NO;
      if (!Array.isArray(v) || v.length !== listSize(base)) return NO;
      for (const e of v) if (typeof e !== 'boolean') return NO;
      return v;
    case 's':
      return typeof v === 'string' ? v : NO;
    case 'S':
      if (base === 'S') return isScalar(v) ? v : NO;
      if (!Array.isArray(v)) return NO;
      for (const e of v) if (!isScalar(e)) return NO;
      return v;
    case 'd':
      return typeof v === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_CODE, v) ? DTYPE_CODE[v as DType] : NO;
    case 'L':
      return v === 'strided' ? LAYOUT_CODE.strided : NO;
    case 'D':
      return isDevice(v) ? v : NO;
    case 'M':
      return typeof v === 'string' && v in MEMORY_FORMAT_CODE ? MEMORY_FORMAT_CODE[v as keyof typeof MEMORY_FORMAT_CODE] : NO;
    case 'G':
      return NO; // only null/undefined, handled above
    default:
      return NO;
  }
}

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// The hot kinds are encoded inline (a switch, no closure call per argument); the rest go through
// the general encoder.
const K_T = 0;
const K_T_OPT = 1;
const K_S = 2;
const K_B = 3;
const K_I = 4;
const K_OTHER = 5;

function kindOf(code: string): number {
  switch (code) {
    case 'T': return K_T;
    case 'T?': return K_T_OPT;
    case 'S': return K_S;
    case 'b': return K_B;
    case 'i': return K_I;
    default: return K_OTHER;
  }
}

function encodeArg(kind: number, code: string, v: unknown): Encoded | typeof NO {
  switch (kind) {
    case K_T: return v instanceof Tensor ? v._h : NO;
    case K_T_OPT: return v instanceof Tensor ? v._h : v === null || v === undefined ? null : NO;
    case K_S: return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || isScalar(v) ? v : NO;
    case K_B: return typeof v === 'boolean' ? v : NO;
    case K_I: return isInt(v) ? v : NO;
    default: return encode(code, v);
  }
}

const REQUIRED_MARK = Symbol('required');

/**
 * An overload ready to bind: everything derived from its schema entry, computed on first use. A
 * class, so that every prepared overload has the same shape and the hot paths stay monomorphic.
 */
class Prepared {
  readonly o: Overload;
  readonly k: string;
  readonly n: number;
  /** The aliased argument an in-place op returns, or null. */
  readonly al: number | null;
  readonly positional: number;
  /** Index where sizes may come as varargs (the only positional parameter, self aside, is an int list), else -1. */
  readonly varargsFn: number;
  readonly varargsMethod: number;
  readonly factory: boolean;
  /** Per argument: its kind (K_*) and its code. */
  readonly kinds: number[];
  readonly codes: string[];
  /** Defaults, already encoded; REQUIRED_MARK where there is none. */
  readonly defaults: unknown[];
  /** The op returns one Tensor (the common case, wrapped inline). */
  readonly retTensor: boolean;
  readonly wrap: (raw: unknown) => unknown;
  fnNative: NativeFn | undefined;
  /** Positional-only binders that also make the native call (see makeFast), per call form. */
  fastFn: FastFn | undefined;
  fastMethod: FastFn | undefined;

  constructor(o: Overload) {
    this.o = o;
    this.k = o.k;
    this.n = o.a.length;
    this.al = o.al;
    const pos = o.a.filter((a) => a[3] === 0);
    this.positional = pos.length;
    this.factory = o.a.some((a) => a[0] === 'pin_memory');
    const sizeAt = (first: number) => (pos.length - first === 1 && /^i\[\d*\]$/.test(pos[first]![1]) ? first : -1);
    this.varargsFn = sizeAt(0);
    this.varargsMethod = sizeAt(1);
    this.codes = o.a.map((a) => a[1]);
    this.kinds = this.codes.map(kindOf);
    this.defaults = o.a.map(([, code, dflt]) => {
      if (dflt === REQUIRED) return REQUIRED_MARK;
      const e = encode(code, dflt);
      if (e === NO) throw new Error(`sous: bad schema default ${JSON.stringify(dflt)} for ${o.k}`);
      return e;
    });
    this.retTensor = o.al === null && o.r.length === 1 && o.r[0] === 'T';
    if (o.al !== null) this.wrap = () => undefined; // replaced by the aliased argument in call()
    else if (o.r.length === 0) this.wrap = () => undefined;
    else if (o.r.length === 1) { const c = o.r[0]!; this.wrap = c === 'T' ? wrapTensor : (raw) => wrapResult(c, raw); }
    else this.wrap = (raw) => (raw as unknown[]).map((v, i) => wrapResult(o.r[i]!, v));
    this.fnNative = undefined;
    this.fastFn = undefined;
    this.fastMethod = undefined;
  }
}

/**
 * Binds positional arguments (no keyword object, no varargs: `args.length` plus self at most the
 * positional count) and calls the native entry; returns NO when the arguments do not fit. Native
 * errors go through onError.
 */
type FastFn = (self: Tensor | undefined, args: unknown[]) => unknown;
type OnError = (err: unknown, self: Tensor | undefined, args: unknown[]) => unknown;

function encodeSource(kind: number, i: number): string {
  switch (kind) {
    case K_T: return 'v instanceof Tensor ? v._h : NO';
    case K_T_OPT: return 'v instanceof Tensor ? v._h : v === null || v === undefined ? null : NO';
    case K_S: return "typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || isScalar(v) ? v : NO";
    case K_B: return "typeof v === 'boolean' ? v : NO";
    case K_I: return 'isInt(v) ? v : NO';
    default: return `encode(codes[${i}], v)`;
  }
}

/**
 * The fast path of bind() and invoke() for one overload, compiled into a function of its own
 * (new Function, from the schema alone: no user input reaches the source). Its own code means its
 * own type feedback: the native entry point is called from a call site that only ever sees that
 * function, which V8 calls directly instead of through the generic API-call path of a shared call
 * site (~20 ns of the ~1 µs a small op costs), and the arguments go straight to it, no array.
 */
function makeFast(p: Prepared, f: NativeFn, method: boolean, onError: OnError): FastFn {
  const off = method ? 1 : 0;
  const lines: string[] = [
    `// ${p.k.replace(/[^\w.]/g, '_')} (${method ? 'method' : 'function'})`,
    'return function (self, args) {',
    '  const len = args.length;',
    `  if (len + ${off} > ${p.positional}) return NO;`,
  ];
  const names: string[] = [];
  for (let i = 0; i < p.n; i++) {
    const a = `a${i}`;
    names.push(a);
    const enc = encodeSource(p.kinds[i]!, i);
    if (i < off) {
      lines.push(`  let ${a}; { const v = self; ${a} = ${enc}; if (${a} === NO) return NO; }`);
      continue;
    }
    const j = i - off;
    const missing = p.defaults[i] === REQUIRED_MARK ? 'return NO;' : `${a} = defaults[${i}];`;
    lines.push(`  let ${a}; if (len > ${j}) { const v = args[${j}]; ${a} = ${enc}; if (${a} === NO) return NO; } else { ${missing} }`);
  }
  lines.push(`  try { return f(${names.join(', ')}); } catch (err) { throw onError(err, self, args); }`, '};');
  const factory = new Function('Tensor', 'NO', 'isScalar', 'isInt', 'encode', 'codes', 'defaults', 'f', 'onError', lines.join('\n')) as (
    ...deps: unknown[]
  ) => FastFn;
  return factory(Tensor, NO, isScalar, isInt, encode, p.codes, p.defaults, f, onError);
}

/** One op's overloads, each prepared on first use (in order, as the binder reaches it). */
class OpEntry {
  readonly prepared: (Prepared | null)[];
  constructor(readonly name: string, readonly overloads: Overload[]) {
    this.prepared = overloads.map(() => null);
  }
  at(k: number): Prepared {
    return this.prepared[k] ?? (this.prepared[k] = new Prepared(this.overloads[k]!));
  }
}

const entries = new Map<string, OpEntry>();
function entryOf(name: string): OpEntry | undefined {
  let e = entries.get(name);
  if (e === undefined) {
    const overloads = SCHEMA[name];
    if (overloads === undefined) return undefined;
    e = new OpEntry(name, overloads);
    entries.set(name, e);
  }
  return e;
}

function wrapTensor(raw: unknown): Tensor | null {
  return raw === null ? null : new Tensor(raw as Handle);
}

/**
 * Binds arguments to one overload; returns the encoded positional array or null. `self` (method
 * calls) is argument 0 and `args` follow it.
 */
function bind(o: Prepared, self: Tensor | undefined, args: unknown[], kw: Record<string, unknown> | undefined): Encoded[] | null {
  const off = self === undefined ? 0 : 1;
  const n = o.n;
  const kinds = o.kinds;
  const codes = o.codes;
  // Fast path: positional arguments only, no varargs.
  if (kw === undefined && args.length + off <= o.positional) {
    const given = args.length + off;
    const defaults = o.defaults;
    const out = new Array<Encoded>(n);
    let i = 0;
    if (off === 1) {
      const e = encodeArg(kinds[0]!, codes[0]!, self);
      if (e === NO) return null;
      out[0] = e;
      i = 1;
    }
    for (; i < given; i++) {
      const e = encodeArg(kinds[i]!, codes[i]!, args[i - off]);
      if (e === NO) return null;
      out[i] = e;
    }
    for (; i < n; i++) {
      const d = defaults[i];
      if (d === REQUIRED_MARK) return null;
      out[i] = d;
    }
    return out;
  }
  const out = new Array<Encoded>(n);
  let given: unknown[] = off ? [self, ...args] : args;
  if (given.length > o.positional) {
    const at = off ? o.varargsMethod : o.varargsFn;
    if (at < 0 || given.length <= at) return null;
    const rest = given.slice(at);
    if (!rest.every(isInt)) return null;
    given = [...given.slice(0, at), rest];
  }
  const specs = o.o.a;
  let usedKw = 0;
  for (let i = 0; i < n; i++) {
    const [name, , , kwOnly] = specs[i]!;
    let v: unknown;
    if (kwOnly === 0 && i < given.length) {
      v = given[i];
    } else if (kw !== undefined && (name in kw || camel(name) in kw)) {
      v = name in kw ? kw[name] : kw[camel(name)];
      usedKw++;
    } else {
      const d = o.defaults[i];
      if (d === REQUIRED_MARK) return null;
      out[i] = d;
      continue;
    }
    const e = encodeArg(kinds[i]!, codes[i]!, v);
    if (e === NO) return null;
    out[i] = e;
  }
  if (kw !== undefined) {
    let extra = 0;
    if (o.factory && 'requiresGrad' in kw) extra++;
    if (usedKw + extra !== Object.keys(kw).length) return null;
  }
  return out;
}

function invoke(f: NativeFn, a: Encoded[]): unknown {
  switch (a.length) {
    case 0: return f();
    case 1: return f(a[0]);
    case 2: return f(a[0], a[1]);
    case 3: return f(a[0], a[1], a[2]);
    case 4: return f(a[0], a[1], a[2], a[3]);
    case 5: return f(a[0], a[1], a[2], a[3], a[4]);
    case 6: return f(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    default: return f(...a);
  }
}

function describeArg(v: unknown): string {
  if (v instanceof Tensor) return describe(v);
  if (Array.isArray(v)) return `[${v.map(describeArg).join(', ')}]`;
  if (v === null) return 'null';
  if (isPlainObject(v)) return `{${Object.keys(v).join(', ')}}`;
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function signatureText(o: Overload, isMethod: boolean): string {
  const parts: string[] = [];
  let kwStarted = false;
  for (const [name, code, dflt, kw] of o.a.slice(isMethod ? 1 : 0)) {
    if (kw && !kwStarted) { parts.push('{'); kwStarted = true; }
    parts.push(`${camel(name)}: ${code}${dflt === REQUIRED ? '' : ' = ' + JSON.stringify(dflt)}`);
  }
  if (kwStarted) parts.push('}');
  return `(${parts.join(', ').replace('{, ', '{ ').replace(', }', ' }')})`;
}

function noMatch(name: string, overloads: Overload[], args: unknown[], kw: Record<string, unknown> | undefined, isMethod: boolean): TypeError {
  const got = [...args.slice(isMethod ? 1 : 0).map(describeArg), ...(kw ? [`{ ${Object.keys(kw).join(', ')} }`] : [])].join(', ');
  const lines = overloads.filter((o) => (isMethod ? o.m : o.fn)).map((o) => ` * ${signatureText(o, isMethod)}`);
  return new TypeError(`${isMethod ? 'Tensor.' : 'torch.'}${name}() received an invalid combination of arguments - got (${got}), but expected one of:\n${lines.join('\n')}\n(kinds: T Tensor, S number, i integer, i[] integer list, f float, b boolean, s string, dt dtype, D device; ? = may be null)`);
}

function wrapResult(code: string, v: unknown): unknown {
  switch (code) {
    case 'T': return v === null ? null : new Tensor(v as Handle);
    case 'T[]': return (v as (Handle | null)[]).map((h) => (h === null ? null : new Tensor(h)));
    case 'dt': return DTYPE_OF_CODE[v as number];
    default: return v;
  }
}

function checkAnomaly(op: string, result: unknown, args: unknown[]): void {
  const outs = result instanceof Tensor ? [result] : Array.isArray(result) ? result.filter((r): r is Tensor => r instanceof Tensor) : [];
  for (const t of outs) {
    if (core.hasNonFinite(t._h)) {
      const inputs = args.filter((a): a is Tensor => a instanceof Tensor);
      const badInputs = inputs.filter((x) => core.hasNonFinite(x._h)).length;
      const stack = (new Error().stack ?? '').split('\n').slice(3, 6).join('\n');
      throw new AnomalyError(`anomaly mode: ${op} produced a NaN or infinity in its output`
        + `${badInputs ? ` (${badInputs} of its inputs already held one)` : ' from finite inputs'}; inputs: ${inputs.map(describe).join(', ')}\n${stack}`, { op });
    }
  }
}

/** Calls op `name` with PyTorch-style arguments; `self` is set for method calls. */
export function call(name: string, rawArgs: unknown[], self?: Tensor): unknown {
  const e = entryOf(name);
  if (e === undefined) throw new TypeError(`torch has no op named ${name}`);
  return callEntry(e, rawArgs, self);
}

/**
 * call() for one op, looked up once (the generated methods and functions use this: looking the
 * name up in the op table on every call was a megamorphic keyed load).
 */
export function caller(name: string): (rawArgs: unknown[], self?: Tensor) => unknown {
  const e = entryOf(name);
  if (e === undefined) return (rawArgs, self) => call(name, rawArgs, self);
  return (rawArgs, self) => callEntry(e, rawArgs, self);
}

function onNativeError(p: Prepared): OnError {
  return (err, self, args) => fromNative(err, p.k, `  inputs: ${(self !== undefined ? [self, ...args] : args).map(describeArg).join(', ')}`);
}

function callEntry(e: OpEntry, rawArgs: unknown[], self: Tensor | undefined): unknown {
  const isMethod = self !== undefined;
  let kw: Record<string, unknown> | undefined;
  let args = rawArgs;
  if (args.length > 0) {
    const last = args[args.length - 1];
    if (last !== null && typeof last === 'object' && !(last instanceof Tensor) && !Array.isArray(last) && isPlainObject(last) && !isScalar(last)) {
      kw = last;
      args = args.slice(0, -1);
    }
  }
  const overloads = e.overloads;
  const off = isMethod ? 1 : 0;
  for (let k = 0; k < overloads.length; k++) {
    const o = overloads[k]!;
    if (isMethod ? o.m === 0 : o.fn === 0) continue;
    const p = e.at(k);
    let raw: unknown;
    const f = (p.fnNative ??= native.ops[p.k]);
    if (kw === undefined && f !== undefined && args.length + off <= p.positional) {
      const fast = isMethod ? (p.fastMethod ??= makeFast(p, f, true, onNativeError(p))) : (p.fastFn ??= makeFast(p, f, false, onNativeError(p)));
      raw = fast(self, args);
      if (raw === NO) continue;
    } else {
      const enc = bind(p, self, args, kw);
      if (enc === null) continue;
      if (f === undefined) throw new TypeError(`torch.${e.name}: ${p.k} is missing from the addon; rebuild it with npm run build:native`);
      try {
        raw = invoke(f, enc);
      } catch (err) {
        const all = isMethod ? [self, ...args] : args;
        throw fromNative(err, p.k, `  inputs: ${all.map(describeArg).join(', ')}`);
      }
    }
    let result: unknown;
    if (p.retTensor) result = raw === null ? null : new Tensor(raw as Handle);
    else if (p.al !== null) result = p.al === 0 && isMethod ? self : (isMethod ? [self, ...args] : args)[p.al];
    else result = p.wrap(raw);
    if (kw !== undefined && p.factory && kw.requiresGrad === true && result instanceof Tensor) core.setRequiresGrad(result._h, true);
    if (anomalyState.enabled) checkAnomaly(p.k, result, isMethod ? [self, ...args] : args);
    return result;
  }
  throw noMatch(e.name, overloads, isMethod ? [self, ...args] : args, kw, isMethod);
}

/** True when this libtorch has the op (or the given overload, as 'name.overload'). */
export function has(name: string): boolean {
  if (name.includes('.')) return native.available[name] === true;
  const ol = SCHEMA[name];
  return ol !== undefined && ol.some((o) => native.available[o.k] === true);
}
