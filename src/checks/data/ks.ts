// The two-sample Kolmogorov–Smirnov test, as scipy.stats.ks_2samp (two-sided) computes it: the
// statistic D = max |F1 - F2| over the pooled sample (ties handled as searchsorted 'right'), and its
// p-value — exact (the probability that a random lattice path from (0,0) to (n1,n2) leaves the band
// |i/n1 - j/n2| < D) while n1·n2 is small enough, otherwise the asymptotic Kolmogorov distribution
// with Stephens' finite-sample correction (scipy uses the exact one-sample distribution at
// round(n1·n2/(n1+n2)) there; the two agree to about 1e-3 at the sizes where it is used).

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

/** Largest n1·n2 for the exact p-value (an O(n1·n2) lattice-path count). */
export const KS_EXACT_MAX_CELLS = 4_000_000;

function sorted(a: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(a);
  s.sort();
  return s;
}

/** D = sup |F1(x) - F2(x)| of the empirical distribution functions. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return ksSorted(sorted(a), sorted(b));
}

function ksSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const v = x[i]! <= y[j]! ? x[i]! : y[j]!;
    while (i < n1 && x[i]! <= v) i++;
    while (j < n2 && y[j]! <= v) j++;
    const diff = Math.abs(i / n1 - j / n2);
    if (diff > d) d = diff;
  }
  return d;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Exact two-sided p-value P(D >= d) for samples of n1 and n2 (no ties): 1 - the share of lattice
 * paths that stay strictly inside |i·n2 - j·n1| < h·g, with d rounded to h / lcm(n1, n2) as scipy does.
 * The counts are kept as path probabilities u(i,j) = count(i,j) / C(i+j, i), which stays in [0, 1].
 */
export function ksExactPvalue(n1: number, n2: number, d: number): number {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = Math.round(d * lcm);
  if (h === 0) return 1;
  const bound = h * g; // inside: |i*n2 - j*n1| < bound
  let prev = new Float64Array(n2 + 1);
  let cur = new Float64Array(n2 + 1);
  // row i = 0
  prev[0] = 1;
  for (let j = 1; j <= n2; j++) prev[j] = Math.abs(-j * n1) < bound ? prev[j - 1]! : 0;
  for (let i = 1; i <= n1; i++) {
    cur[0] = Math.abs(i * n2) < bound ? prev[0]! : 0;
    for (let j = 1; j <= n2; j++) {
      if (Math.abs(i * n2 - j * n1) >= bound) { cur[j] = 0; continue; }
      const t = i + j;
      cur[j] = prev[j]! * (i / t) + cur[j - 1]! * (j / t);
    }
    [prev, cur] = [cur, prev];
  }
  const p = 1 - prev[n2]!;
  return Math.min(1, Math.max(0, p));
}

/** The Kolmogorov distribution's survival function Q(λ) = P(K > λ). */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // 1 - √(2π)/λ Σ exp(-(2k-1)²π²/(8λ²))
    const c = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let s = 0;
    for (let k = 1; k <= 50; k++) {
      const t = Math.exp((2 * k - 1) * (2 * k - 1) * c);
      s += t;
      if (t < 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 === 1 ? 1 : -1) * t;
    if (t < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/** Two-sided two-sample KS test (scipy.stats.ks_2samp's statistic and p-value). */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, opts: { method?: 'auto' | 'exact' | 'asymp' } = {}): KsResult {
  if (a.length === 0 || b.length === 0) throw new Error('ks2samp(): both samples must be non-empty');
  const x = sorted(a);
  const y = sorted(b);
  const d = ksSorted(x, y);
  const n1 = x.length;
  const n2 = y.length;
  const method = opts.method ?? 'auto';
  if (method === 'exact' || (method === 'auto' && n1 * n2 <= KS_EXACT_MAX_CELLS)) {
    return { statistic: d, pvalue: ksExactPvalue(n1, n2, d), method: 'exact' };
  }
  const en = Math.sqrt((n1 * n2) / (n1 + n2));
  return { statistic: d, pvalue: kolmogorovSf((en + 0.12 + 0.11 / en) * d), method: 'asymp' };
}
