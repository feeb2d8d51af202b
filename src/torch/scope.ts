// Explicit memory release. JS garbage collection neither sees libtorch's memory nor runs inside a
// synchronous training loop, so tensors are freed by scopes: every tensor created while a scope is
// open belongs to it and is disposed when the scope ends, unless it was kept or returned.

import { core, type Handle } from './native.js';

/** What a scope needs of a tensor; Tensor implements it. */
export interface Tracked {
  readonly _h: Handle;
  _kept: boolean;
  /** registered with the GC safety net */
  _gc?: boolean;
}

// Safety net for tensors that no scope owns: when the JS object is collected, its native tensor is
// freed. Garbage collection runs late (never inside a synchronous loop), so scopes and dispose()
// stay the way to release memory; this only stops unowned tensors from living forever.
const collected = new FinalizationRegistry<Handle>((h) => {
  core.dispose(h);
});
function guardByGc(t: Tracked): void {
  if (t._gc) return;
  t._gc = true;
  collected.register(t, t._h, t);
}

interface ScopeFrame {
  tensors: Tracked[];
  name: string | undefined;
}

const stack: ScopeFrame[] = [];

/** Handles to free at the end of a scope, reused (endFrame runs no user code, so never reentrantly). */
let disposeBuf = new Float64Array(256);

// ---- leak detector (SOUS_LEAK_CHECK=1): remembers where each live tensor was created ----
const leakCheck = process.env.SOUS_LEAK_CHECK === '1';
const liveSites = new Map<Tracked, string>();
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const user = lines.find((l) => !/\/src\/torch\/|node:internal|\/dist\/src\/torch\//.test(l));
  return (user ?? lines[lines.length - 1] ?? '').trim().replace(/^at /, '');
}

/** Called by every Tensor constructor. */
export function track(t: Tracked): void {
  const top = stack[stack.length - 1];
  if (top !== undefined) top.tensors.push(t);
  else guardByGc(t);
  if (leakCheck) liveSites.set(t, callSite());
}

/** Called when a tensor is disposed. */
export function untrack(t: Tracked): void {
  if (t._gc) {
    collected.unregister(t);
    t._gc = false;
  }
  if (leakCheck) liveSites.delete(t);
}

/** Marks a tensor as kept: no scope disposes it; dispose() it yourself when done. */
export function keep<T extends Tracked>(t: T): T {
  t._kept = true;
  guardByGc(t);
  return t;
}

function collect(value: unknown, out: Set<Tracked>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if ('_h' in value && '_kept' in value) {
    out.add(value as Tracked);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, depth + 1);
}

/** Never added to: endFrame only reads it. */
const NO_SURVIVORS: ReadonlySet<Tracked> = new Set<Tracked>();

function endFrame(frame: ScopeFrame, survivors: ReadonlySet<Tracked>): void {
  const idx = stack.lastIndexOf(frame);
  if (idx !== stack.length - 1) throw new Error('sous: scopes must end in reverse order of their start');
  stack.pop();
  const parent = stack[stack.length - 1];
  // One native call frees the whole scope: a call per tensor cost more than many small ops. The
  // handles go in a reused Float64Array, which native code reads directly (no per-element napi call).
  let count = 0;
  let buf = disposeBuf;
  for (const t of frame.tensors) {
    if (survivors.size > 0 && survivors.has(t)) {
      if (parent !== undefined) parent.tensors.push(t);
      else guardByGc(t);
    } else if (!t._kept) {
      if (count === buf.length) {
        const grown = new Float64Array(buf.length * 2);
        grown.set(buf);
        buf = disposeBuf = grown;
      }
      buf[count++] = t._h;
      if (t._gc || leakCheck) untrack(t);
    }
  }
  if (count > 0) core.disposeHandles(buf, count);
  frame.tensors = []; // a new empty array costs less than truncating (a runtime call)
}

/**
 * Runs `fn` and disposes every tensor it created, except those it returns (in a Tensor, array, Map
 * or plain object) and those kept. Like tf.tidy, `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T, name?: string): T {
  const frame: ScopeFrame = { tensors: [], name };
  stack.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endFrame(frame, NO_SURVIVORS);
    throw e;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    endFrame(frame, NO_SURVIVORS);
    throw new Error('sous: tidy() takes a synchronous function; for async code use `await using s = torch.scope()`');
  }
  // Only an object can hold tensors to hand on (most training-step scopes return nothing or a number).
  if (result === null || typeof result !== 'object') {
    endFrame(frame, NO_SURVIVORS);
    return result;
  }
  const survivors = new Set<Tracked>();
  collect(result, survivors);
  endFrame(frame, survivors);
  return result;
}

/** A scope for `using s = torch.scope()`: tensors created until it is disposed are freed then. */
export class Scope implements Disposable {
  private readonly frame: ScopeFrame;
  private ended = false;
  constructor(name?: string) {
    this.frame = { tensors: [], name };
    stack.push(this.frame);
  }
  /** Lets `t` outlive this scope: it moves to the enclosing scope (or to none). */
  keep<T extends Tracked>(t: T): T {
    const i = this.frame.tensors.indexOf(t);
    if (i >= 0) this.frame.tensors.splice(i, 1);
    const parent = stack[stack.indexOf(this.frame) - 1];
    if (parent !== undefined) parent.tensors.push(t);
    else guardByGc(t);
    return t;
  }
  get size(): number {
    return this.frame.tensors.length;
  }
  [Symbol.dispose](): void {
    if (this.ended) return;
    this.ended = true;
    endFrame(this.frame, NO_SURVIVORS);
  }
  dispose(): void {
    this[Symbol.dispose]();
  }
}

export function scope(name?: string): Scope {
  return new Scope(name);
}

/** Depth of open scopes (0 outside any). */
export function scopeDepth(): number {
  return stack.length;
}

export interface LeakSite {
  site: string;
  count: number;
}

/** With SOUS_LEAK_CHECK=1: live tensors that are not kept, grouped by the line that created them. */
export function leaks(opts: { includeKept?: boolean } = {}): LeakSite[] {
  if (!leakCheck) throw new Error('sous: leaks() needs SOUS_LEAK_CHECK=1 in the environment before start');
  const counts = new Map<string, number>();
  for (const [t, site] of liveSites) {
    if (core.isDisposed(t._h)) {
      liveSites.delete(t);
      continue;
    }
    if (t._kept && !opts.includeKept) continue;
    counts.set(site, (counts.get(site) ?? 0) + 1);
  }
  return [...counts].map(([site, count]) => ({ site, count })).sort((a, b) => b.count - a.count);
}

if (leakCheck) {
  process.on('exit', () => {
    const found = leaks();
    if (found.length === 0) return;
    const total = found.reduce((s, l) => s + l.count, 0);
    process.stderr.write(`sous: ${total} tensor(s) were never disposed (SOUS_LEAK_CHECK=1). Created at:\n`);
    for (const l of found.slice(0, 20)) process.stderr.write(`  ${l.count} x ${l.site}\n`);
  });
}
