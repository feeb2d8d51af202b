// Histogram bucketing for HistogramProto. 'exponential' reproduces TensorFlow's default buckets
// (limits ±1e-12·1.1^k up to 1e20, a bucket at 0, ±DBL_MAX at the ends), so histograms line up with
// ones written by TF/tensorboardX; a bucket count gives equal-width bins over [min, max] instead.

export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** right edge of each bucket; bucket i covers [bucketLimit[i-1], bucketLimit[i]) and the first starts at `min` */
  bucketLimit: number[];
  bucket: number[];
}

export type HistogramBins = 'exponential' | number;

let exponentialLimits: Float64Array | undefined;

function tensorflowLimits(): Float64Array {
  if (exponentialLimits) return exponentialLimits;
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  const limits = [...pos.map((v) => -v).reverse(), 0, ...pos, Number.MAX_VALUE];
  limits.unshift(-Number.MAX_VALUE);
  exponentialLimits = Float64Array.from(limits);
  return exponentialLimits;
}

/** Index of the first limit strictly greater than `v` (TF's upper_bound). */
function upperBound(limits: Float64Array, v: number): number {
  let lo = 0;
  let hi = limits.length - 1; // the last limit is DBL_MAX, above every finite value
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Buckets `values`. Non-finite values are left out (so a diverging run's logging does not throw; the
 * NaN shows in its loss scalar anyway). Exponential mode keeps the buckets from the first non-empty to
 * the last non-empty one and, like TF, merges each run of empty buckets into one; linear mode keeps
 * all `bins` buckets.
 */
export function histogram(values: ArrayLike<number>, bins: HistogramBins = 'exponential'): Histogram {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) xs.push(values[i]);
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSquares += x * x;
  }
  const base = { min: xs.length ? min : 0, max: xs.length ? max : 0, num: xs.length, sum, sumSquares };
  if (xs.length === 0) return { ...base, bucketLimit: [], bucket: [] };
  if (bins === 'exponential') return { ...base, ...exponentialBuckets(xs) };
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be 'exponential' or a positive integer, got ${bins}`);
  return { ...base, ...linearBuckets(xs, min, max, bins) };
}

function exponentialBuckets(xs: number[]): Pick<Histogram, 'bucketLimit' | 'bucket'> {
  const limits = tensorflowLimits();
  const counts = new Float64Array(limits.length);
  for (const x of xs) counts[upperBound(limits, x)]++;
  let first = 0;
  while (counts[first] === 0) first++;
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = first; i <= last; i++) {
    // a run of empty buckets becomes one, ending at the run's last limit, so the next bucket keeps its true left edge
    if (counts[i] === 0 && counts[i + 1] === 0) continue;
    bucketLimit.push(limits[i]);
    bucket.push(counts[i]);
  }
  return { bucketLimit, bucket };
}

function linearBuckets(xs: number[], min: number, max: number, bins: number): Pick<Histogram, 'bucketLimit' | 'bucket'> {
  const width = (max - min) / bins;
  const bucket = new Array<number>(bins).fill(0);
  for (const x of xs) bucket[width === 0 ? 0 : Math.min(bins - 1, Math.floor((x - min) / width))]++;
  const bucketLimit = Array.from({ length: bins }, (_, i) => (i === bins - 1 ? max : min + width * (i + 1)));
  return { bucketLimit, bucket };
}
