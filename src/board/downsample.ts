// Downsampling a metric curve for the board: at most `max` points that keep what a plot must show.
//
// The first and the last point are always kept. The points between them are cut into equal buckets
// by index, and each bucket keeps its minimum and its maximum (in step order), so every spike and
// dip of the full curve, and the curve's global min and max, survive at any zoom. A bucket holding
// NaNs (a diverged loss, stored as NULL) also keeps its first NaN, so the gap stays visible; when
// the curve has NaNs the buckets are made smaller so that the total stays within `max`.

export interface Curve {
  steps: number[];
  values: number[];
}

/**
 * Indices of the points to keep (ascending) out of `values.length`, at most `max` of them
 * (`max` >= 2; a curve of `max` points or fewer is kept whole).
 */
export function downsampleIndices(values: ArrayLike<number>, max: number): number[] {
  const n = values.length;
  if (!Number.isSafeInteger(max) || max < 2) throw new RangeError(`downsample: max must be an integer >= 2 (got ${max})`);
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  let hasNaN = false;
  for (let i = 1; i < n - 1; i++) if (Number.isNaN(values[i]!)) { hasNaN = true; break; }
  const perBucket = hasNaN ? 3 : 2;
  const inner = n - 2;
  const buckets = Math.max(1, Math.floor((max - 2) / perBucket));
  const out: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * inner) / buckets);
    const hi = 1 + Math.floor(((b + 1) * inner) / buckets); // exclusive
    if (hi <= lo) continue;
    let iMin = -1;
    let iMax = -1;
    let iNaN = -1;
    for (let i = lo; i < hi; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) { if (iNaN < 0) iNaN = i; continue; }
      if (iMin < 0 || v < values[iMin]!) iMin = i;
      if (iMax < 0 || v > values[iMax]!) iMax = i;
    }
    const keep = [iMin, iMax, iNaN].filter((i) => i >= 0).sort((a, b2) => a - b2);
    for (let k = 0; k < keep.length; k++) if (k === 0 || keep[k] !== keep[k - 1]) out.push(keep[k]!);
  }
  out.push(n - 1);
  // max - 2 < perBucket (max 2..3 with NaNs, or 2): fall back to the ends and the extremes, trimmed
  if (out.length > max) return [0, n - 1].slice(0, max);
  return out;
}

/** A curve cut down to at most `max` points (see downsampleIndices). */
export function downsample(steps: ArrayLike<number>, values: ArrayLike<number>, max: number): Curve {
  if (steps.length !== values.length) throw new RangeError(`downsample: ${steps.length} steps but ${values.length} values`);
  const idx = downsampleIndices(values, max);
  return { steps: idx.map((i) => steps[i]!), values: idx.map((i) => values[i]!) };
}

/** A metric value as JSON can hold it: NaN → null, ±Infinity → 'Infinity' / '-Infinity'. */
export function jsonValue(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}
