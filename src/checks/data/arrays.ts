// Shared helpers of the data checks: a split's tensors as flat typed arrays (copied to the CPU once
// per tensor and cached, so the checks that all scan the same 60k images pay for one copy), the
// sample layout (N, C, H, W), labels as int32, and the result/summary plumbing.

import { torch, type Tensor } from '../../torch/index.js';
import type { CheckResult, DoctorContext, Evidence, Figure, Verdict } from '../types.js';

/** A split's inputs on the CPU: float32 values, sample after sample. */
export interface Samples {
  data: Float32Array;
  /** samples */
  n: number;
  /** values per sample (C·H·W) */
  d: number;
  c: number;
  h: number;
  w: number;
  /** the tensor's shape and dtype, as given */
  shape: number[];
  dtype: string;
}

const sampleCache = new WeakMap<Tensor, Samples>();
const labelCache = new WeakMap<Tensor, Int32Array>();

/** The layout of [N], [N, D], [N, H, W] (one channel) or [N, C, H, W] inputs. */
export function layout(shape: number[]): { n: number; c: number; h: number; w: number } {
  const n = shape[0] ?? 0;
  if (shape.length >= 4) return { n, c: shape[1]!, h: shape[2]!, w: shape.slice(3).reduce((a, b) => a * b, 1) };
  if (shape.length === 3) return { n, c: 1, h: shape[1]!, w: shape[2]! };
  if (shape.length === 2) return { n, c: 1, h: 1, w: shape[1]! };
  return { n, c: 1, h: 1, w: 1 };
}

/** The inputs as float32 on the CPU (cached per tensor; the tensor is not changed). */
export function samplesOf(t: Tensor): Samples {
  const hit = sampleCache.get(t);
  if (hit) return hit;
  const shape = t.shape;
  const dtype = String(t.dtype);
  const data = torch.tidy(() => {
    const f = t.detach().to('cpu').to('float32').contiguous();
    return f.toArray() as Float32Array;
  });
  const { n, c, h, w } = layout(shape);
  const s: Samples = { data, n, d: n === 0 ? 0 : data.length / n, c, h, w, shape, dtype };
  sampleCache.set(t, s);
  return s;
}

/** Class labels as int32 (cached per tensor). Floating targets are truncated. */
export function labelsOf(t: Tensor): Int32Array {
  const hit = labelCache.get(t);
  if (hit) return hit;
  const a = torch.tidy(() => t.detach().to('cpu').reshape([-1]).toArray());
  const out = a instanceof BigInt64Array ? Int32Array.from(a, (x) => Number(x)) : Int32Array.from(a as ArrayLike<number>, (x) => Math.trunc(x));
  labelCache.set(t, out);
  return out;
}

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** The splits present in the context, in train, val, test order. */
export function presentSplits(ctx: DoctorContext): SplitName[] {
  return SPLITS.filter((s) => ctx.splits[s] !== undefined);
}

/** Rounds for evidence and summaries: 4 significant digits. */
export function r4(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(4));
}

/** A compact number for summaries. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** One problem found by a check: its severity, a short message and what to do. */
export interface Finding {
  verdict: 'warn' | 'fail';
  message: string;
  fix: string;
}

const RANK: Record<Verdict, number> = { pass: 0, skip: 0, warn: 1, fail: 2, error: 3 };

/** A result from findings: the worst verdict; the summary leads with the worst findings. */
export function resultFrom(
  base: { id: string; title: string; seconds: number },
  findings: Finding[],
  passSummary: string,
  evidence: Evidence,
  figures?: Figure[],
): CheckResult {
  const sorted = [...findings].sort((a, b) => RANK[b.verdict] - RANK[a.verdict]);
  const verdict: Verdict = sorted[0]?.verdict ?? 'pass';
  const fixes = [...new Set(sorted.map((f) => f.fix))];
  return {
    id: base.id,
    title: base.title,
    group: 'data',
    verdict,
    summary: sorted.length === 0 ? passSummary : sorted.map((f) => f.message).join('; '),
    evidence,
    ...(fixes.length > 0 ? { fix: fixes.join(' ') } : {}),
    ...(figures && figures.length > 0 ? { figures } : {}),
    seconds: base.seconds,
  };
}

/** A result that says why the check does not apply. */
export function skipped(base: { id: string; title: string; seconds: number }, why: string, evidence: Evidence = {}): CheckResult {
  return { id: base.id, title: base.title, group: 'data', verdict: 'skip', summary: why, evidence, seconds: base.seconds };
}

/** Up to `k` items of a list, for evidence and summaries. */
export function firstFew<T>(xs: readonly T[], k = 10): T[] {
  return xs.slice(0, k);
}
