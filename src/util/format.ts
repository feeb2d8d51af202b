// Number formatting for logs, progress bars and tables: short, stable-width strings a person can
// read at a glance. Every function is pure and total (NaN and infinities print as words).

export interface FormatMetricOptions {
  /** Significant digits for values in the ordinary range (default 4). */
  digits?: number;
}

function nonFinite(value: number): string | undefined {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return undefined;
}

/** JS writes 1.2e-5 and 1.2e+21; the '+' is noise in a log line. */
function exponential(value: number, fractionDigits: number): string {
  return value.toExponential(fractionDigits).replace('e+', 'e');
}

/**
 * A metric value with `digits` significant digits: 0.91234 -> '0.9123', 123.456 -> '123.5',
 * 12345.6 -> '12346' (large values are rounded to integers, never cut to fewer digits),
 * 1.2e-5 -> '1.20e-5', NaN -> 'nan'. Exact integers print as integers (3 -> '3').
 */
export function formatMetric(value: number, opts: FormatMetricOptions = {}): string {
  const digits = Math.max(1, Math.min(21, Math.floor(opts.digits ?? 4)));
  const special = nonFinite(value);
  if (special !== undefined) return special;
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs < 1e9) return String(value === 0 ? 0 : value); // 0, never '-0'
  // Tiny and huge values in exponent form; one digit fewer keeps them about as wide as '0.9123'.
  if (abs < 1e-3 || abs >= 1e9) return exponential(value, Math.max(0, digits - 2));
  if (abs >= 10 ** digits) return String(Math.round(value));
  const s = value.toPrecision(digits);
  // toPrecision goes exponential when rounding carries past `digits` integer digits (9999.7 -> 1.000e+4).
  return s.includes('e') ? String(Math.round(value)) : s;
}

/** A fraction as a percentage: 0.9123 -> '91.23%' (`decimals` after the point, default 2). */
export function formatPercent(fraction: number, decimals = 2): string {
  const special = nonFinite(fraction);
  if (special !== undefined) return special;
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/**
 * A duration for people: '0.42 s', '12.3 s', '3 min 05 s', '1 h 02 min', '2 d 03 h'. Unknown
 * (NaN, infinite) prints '?', which is what an ETA with no rate yet should show.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, seconds);
  // Round first, at the precision the chosen form shows, so 59.96 s becomes '1 min 00 s', not '60.0 s'.
  if (Math.round(s * 100) / 100 < 10) return `${s.toFixed(2)} s`;
  if (Math.round(s * 10) / 10 < 60) return `${s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${pad2(totalSeconds % 60)} s`;
  const totalMinutes = Math.round(s / 60);
  if (totalMinutes < 24 * 60) return `${Math.floor(totalMinutes / 60)} h ${pad2(totalMinutes % 60)} min`;
  const totalHours = Math.round(s / 3600);
  return `${Math.floor(totalHours / 24)} d ${pad2(totalHours % 24)} h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * `value` scaled by the largest unit it reaches, with 3 significant digits. Rounding can carry into
 * the next unit (999_999 would be '1000k'), so the unit is settled after rounding.
 */
function scaled(value: number, base: number, units: readonly string[], sep: string): string {
  const sign = value < 0 ? '-' : '';
  let abs = Math.abs(value);
  let u = 0;
  while (u < units.length - 1 && abs >= base) {
    abs /= base;
    u++;
  }
  let text = abs.toPrecision(3);
  // Four integer digits would not fit the 3-digit form: 1000 KiB reads better as 0.977 MiB.
  if (Number(text) >= 1000 && u < units.length - 1) {
    abs /= base;
    u++;
    text = abs.toPrecision(3);
  }
  if (text.includes('e')) text = String(Math.round(abs)); // only in the last unit: 1.23e+3 -> 1230
  return `${sign}${text}${sep}${units[u]}`;
}

/** A count for people: 999 -> '999', 12345 -> '12.3k', 1234567 -> '1.23M', 2.5e9 -> '2.50B'. */
export function formatCount(n: number): string {
  const special = nonFinite(n);
  if (special !== undefined) return special;
  if (Math.abs(n) < 1000) return Number.isInteger(n) ? String(n) : formatMetric(n, { digits: 3 });
  return scaled(n, 1000, ['', 'k', 'M', 'B', 'T'], '');
}

/** A size in bytes, binary units: 512 -> '512 B', 1536 -> '1.50 KiB', 3 * 2**30 -> '3.00 GiB'. */
export function formatBytes(bytes: number): string {
  const special = nonFinite(bytes);
  if (special !== undefined) return special;
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  return scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], ' ');
}
