// Training wheels (seed 003's diary): the loss of every batch is watched; a NaN/Inf, or a spike far
// above its moving average, means the last steps broke the model. The trainer then rolls back to the
// last good snapshot (weights, optimizer, schedule, RNG, data position), lowers the learning rate and
// goes on, up to maxRollbacks times, after which it stops with a report.

export interface WheelsOptions {
  /** a loss above spikeFactor × its moving average is a spike (default 3) */
  spikeFactor: number;
  /**
   * consecutive spiking batches that make a rollback (default 3): one hard batch (outliers, label
   * noise, a small batch of one class) is no explosion, a loss that stays up is
   */
  spikeBatches: number;
  /** smoothing of the moving average: weight of the past (default 0.98, about 50 batches) */
  emaBeta: number;
  /** batches seen before spikes are judged (default 20): the first losses fall fast */
  warmupBatches: number;
  /** rollbacks allowed in one fit before it stops as diverged (default 3) */
  maxRollbacks: number;
  /** the learning rate is multiplied by this at each rollback (default 0.5) */
  lrFactor: number;
  /** optimizer steps between in-memory snapshots (default 50) */
  snapshotEvery: number;
}

export const WHEELS_DEFAULTS: WheelsOptions = { spikeFactor: 3, spikeBatches: 3, emaBeta: 0.98, warmupBatches: 20, maxRollbacks: 3, lrFactor: 0.5, snapshotEvery: 50 };

export function wheelsOptions(o: Partial<WheelsOptions>): WheelsOptions {
  const w = { ...WHEELS_DEFAULTS, ...o };
  const bad = (k: keyof WheelsOptions, want: string) => new RangeError(`training wheels: ${k} must be ${want}, got ${String(w[k])}`);
  for (const k of Object.keys(o)) if (!(k in WHEELS_DEFAULTS)) throw new RangeError(`training wheels: unknown option '${k}'; the options are ${Object.keys(WHEELS_DEFAULTS).join(', ')}`);
  if (!(w.spikeFactor > 1)) throw bad('spikeFactor', 'a number > 1');
  if (!(Number.isInteger(w.spikeBatches) && w.spikeBatches >= 1)) throw bad('spikeBatches', 'an integer >= 1');
  if (!(w.emaBeta >= 0 && w.emaBeta < 1)) throw bad('emaBeta', 'in [0, 1)');
  if (!(Number.isInteger(w.warmupBatches) && w.warmupBatches >= 0)) throw bad('warmupBatches', 'an integer >= 0');
  if (!(Number.isInteger(w.maxRollbacks) && w.maxRollbacks >= 0)) throw bad('maxRollbacks', 'an integer >= 0');
  if (!(w.lrFactor > 0 && w.lrFactor <= 1)) throw bad('lrFactor', 'in (0, 1]');
  if (!(Number.isInteger(w.snapshotEvery) && w.snapshotEvery >= 1)) throw bad('snapshotEvery', 'an integer >= 1');
  return w;
}

/** The loss watcher's state (part of every snapshot, so a rollback also rolls the average back). */
export interface LossWatchState {
  ema: number;
  /** EMA of the absolute deviation of the loss from its average (its batch-to-batch noise) */
  dev: number;
  seen: number;
  /** consecutive spiking batches so far */
  run: number;
}

export type LossVerdict = { ok: true } | { ok: false; reason: 'nan' | 'inf' | 'spike'; loss: number; average: number };

/** How many times its usual batch-to-batch deviation a spike must exceed the average by. */
const NOISE_FACTOR = 6;

export class LossWatch {
  state: LossWatchState = { ema: 0, dev: 0, seen: 0, run: 0 };
  constructor(private readonly opts: WheelsOptions) {}

  /** Judges a batch's loss; a healthy one updates the moving average. */
  check(loss: number): LossVerdict {
    const s = this.state;
    const average = s.seen === 0 ? NaN : s.ema / (1 - this.opts.emaBeta ** s.seen);
    if (Number.isNaN(loss)) return { ok: false, reason: 'nan', loss, average };
    if (!Number.isFinite(loss)) return { ok: false, reason: 'inf', loss, average };
    // A spike is far above the average both relatively and against the loss's own noise: near a loss
    // of 0 (an easy problem, a batch that is all one class) batch losses differ by large ratios that
    // are no explosion.
    const noise = s.seen === 0 ? NaN : s.dev / (1 - this.opts.emaBeta ** s.seen);
    if (s.seen >= this.opts.warmupBatches && s.seen > 0 && loss > this.opts.spikeFactor * average && loss - average > NOISE_FACTOR * noise) {
      // a spiking batch does not move the average; it is tolerated until spikeBatches in a row
      s.run++;
      return s.run >= this.opts.spikeBatches ? { ok: false, reason: 'spike', loss, average } : { ok: true };
    }
    s.run = 0;
    // bias-corrected EMAs (as Adam's moments) so that early averages are not pulled toward 0
    const b = this.opts.emaBeta;
    s.dev = b * s.dev + (1 - b) * (s.seen === 0 ? 0 : Math.abs(loss - average));
    s.ema = b * s.ema + (1 - b) * loss;
    s.seen++;
    return { ok: true };
  }
}
