// Shared helpers of the basic model checks: batches on the model's device, saving and restoring what a check's forward passes change (module
// modes, buffers such as BatchNorm's running statistics, the random generator), names of layers.

import { torch, Tensor, type DeviceLike } from '../../../torch/index.js';
import type { AnyModule } from '../../../nn/module.js';
import type { DoctorContext } from '../../types.js';

export { defineCheck, type Finding } from '../../define.js';

/** The device of the model's first parameter or buffer ('cpu' when it has none). */
export function modelDevice(model: AnyModule): DeviceLike {
  const p = model.parameters()[0] ?? model.buffers()[0];
  return p === undefined ? 'cpu' : p.device;
}

/**
 * A training batch on the model's device. Call inside a tidy (the tensors are the scope's) or
 * dispose them.
 */
export function batchOn(ctx: DoctorContext, model: AnyModule, size: number, seed?: number): { inputs: Tensor; targets: Tensor } {
  const b = ctx.trainBatch(size, seed);
  const dev = String(modelDevice(model));
  const move = (t: Tensor): Tensor => (String(t.device) === dev ? t : t.to(dev));
  return { inputs: move(b.inputs), targets: move(b.targets) };
}

/**
 * Runs fn and puts back what forward passes change: every module's training flag, the buffers
 * (BatchNorm's running statistics move in train mode) and the random generator (dropout draws).
 */
export function preserving<T>(model: AnyModule, fn: () => T): T {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  const buffers = model.buffers();
  const saved = torch.noGrad(() => buffers.map((b) => b.clone().keep()));
  const rng = torch.getRngState().keep();
  try {
    return fn();
  } finally {
    for (const [m, t] of modes) m.training = t;
    // Only buffers that changed are written back: a write bumps the version of a buffer that a
    // graph built inside fn (eval-mode BatchNorm saves its running statistics) may still need.
    torch.noGrad(() => torch.tidy(() => {
      buffers.forEach((b, i) => {
        if (!b.isDisposed && !b.equal(saved[i]!)) b.copy_(saved[i]!);
      });
    }));
    for (const s of saved) s.dispose();
    torch.setRngState(rng);
    rng.dispose();
  }
}

/** The first tensor in a module's output (a tensor, or an array or object holding one). */
export function firstTensor(v: unknown): Tensor | null {
  if (v instanceof Tensor) return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const t = firstTensor(x);
      if (t !== null) return t;
    }
  }
  return null;
}

/** The model's output as a tensor (the first one, for models that return several). */
export function forwardTensor(model: AnyModule, inputs: Tensor): Tensor {
  const out = firstTensor(model.call(inputs));
  if (out === null) throw new Error(`${model.constructor.name}.forward returned no tensor`);
  return out;
}

/** Module names by module (the root is '' and shown as the class name). */
export function moduleNames(model: AnyModule): Map<AnyModule, string> {
  const names = new Map<AnyModule, string>();
  for (const [n, m] of model.namedModules()) if (!names.has(m)) names.set(m, n);
  return names;
}

/** 'fc1 (Linear)', or the class name for the root. */
export function describeModule(name: string, m: AnyModule): string {
  return name === '' ? `the model's own forward (${m.constructor.name})` : `'${name}' (${m.constructor.name})`;
}

/** The layer a parameter belongs to: the name up to the last dot, and its class. */
export function layerOf(model: AnyModule, param: string): string {
  const i = param.lastIndexOf('.');
  const name = i < 0 ? '' : param.slice(0, i);
  for (const [n, m] of model.namedModules()) if (n === name) return describeModule(n, m);
  return name === '' ? model.constructor.name : `'${name}'`;
}

/** At most `max` names, then '… and N more'. */
export function listNames(names: string[], max = 6): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} … and ${names.length - max} more`;
}

/** A number for a summary: 4 significant digits, or exponent form for tiny and huge values. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/** Rounds for evidence (keeps evidence readable and stable). */
export function round(x: number, digits = 6): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

/** Whether every element of a tensor is exactly zero. */
export function allZero(t: Tensor): boolean {
  return torch.tidy(() => t.abs().max().item() === 0);
}
