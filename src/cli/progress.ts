// A progress bar for training loops. On a terminal it redraws one line in place (at most ~10 times
// a second, since drawing faster only costs time); in CI logs and pipes, where '\r' and escape codes
// turn into garbage, it prints a plain line every 10% (or every so many seconds) and a final one.

import { formatCount, formatDuration, formatMetric, formatPercent } from '../util/format.js';

/** The part of a Writable a progress bar needs (process.stderr, or a fake in tests). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Items (or steps) in the whole run; omit when unknown, and percent and ETA are left out. */
  total?: number;
  label?: string;
  stream?: ProgressStream;
  /** Line width on a terminal; default stream.columns, else 80. */
  width?: number;
  /** What is counted, for the rate: 'it' (default), 'samples', 'steps', 'img'... */
  unit?: string;
  /** Digits for metric values (formatMetric). */
  digits?: number;
  /** Least time between terminal redraws, in ms (default 100). */
  redrawMs?: number;
  /** Not on a terminal: a line at least every this many seconds (default 30) ... */
  plainEverySeconds?: number;
  /** ... and every time progress crosses a multiple of this fraction (default 0.1). */
  plainEveryFraction?: number;
  /** Override the terminal check (stream.isTTY). */
  tty?: boolean;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export type Metrics = Record<string, number>;

const CLEAR_TO_EOL = '\x1b[K';
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return `|${'█'.repeat(full)}${part}${' '.repeat(width - full - (part ? 1 : 0))}|`;
}

export class ProgressBar {
  readonly total: number | undefined;
  readonly label: string;
  readonly tty: boolean;
  private readonly stream: ProgressStream;
  private readonly opts: ProgressOptions;
  private readonly now: () => number;
  private readonly start: number;
  private done = 0;
  private metrics: Metrics = {};
  private lastDraw = -Infinity;
  private lastPlainStep = 0;
  private drawnFinal = false;
  private finished = false;

  constructor(opts: ProgressOptions = {}) {
    if (opts.total !== undefined && !(opts.total >= 0)) throw new RangeError(`ProgressBar: total must be a number >= 0, got ${opts.total}`);
    this.opts = opts;
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    // Off a terminal the first line waits for 10% or the interval: a line at 0% says nothing.
    if (!this.tty) this.lastDraw = this.start;
  }

  /** Sets progress to `done` items and shows `metrics` (loss, accuracy...) from now on. */
  update(done: number, metrics?: Metrics): void {
    if (this.finished) return;
    this.done = done;
    if (metrics !== undefined) this.metrics = { ...this.metrics, ...metrics };
    const t = this.now();
    const atEnd = this.total !== undefined && done >= this.total;
    if (this.tty) {
      // The final state is always drawn, or a fast loop would end on a stale line.
      if (atEnd ? this.drawnFinal : t - this.lastDraw < (this.opts.redrawMs ?? 100)) return;
      this.drawnFinal = atEnd;
      this.lastDraw = t;
      this.stream.write(`\r${this.fit(this.line(t, true))}${CLEAR_TO_EOL}`);
      return;
    }
    const step = this.total ? Math.floor(done / this.total / (this.opts.plainEveryFraction ?? 0.1)) : 0;
    const due = t - this.lastDraw >= (this.opts.plainEverySeconds ?? 30) * 1000;
    // The end gets its own line from finish(); printing it here too would say the same thing twice.
    if (!atEnd && (step > this.lastPlainStep || due)) {
      this.lastPlainStep = Math.max(step, this.lastPlainStep);
      this.lastDraw = t;
      this.stream.write(`${this.line(t, false)}\n`);
    }
  }

  /** Advances by `n` items. */
  tick(n = 1, metrics?: Metrics): void {
    this.update(this.done + n, metrics);
  }

  /** Prints a message above the bar without breaking it. */
  log(message: string): void {
    if (this.tty && !this.finished) {
      this.stream.write(`\r${CLEAR_TO_EOL}${message}\n`);
      this.lastDraw = -Infinity;
      this.update(this.done);
    } else this.stream.write(`${message}\n`);
  }

  /** Draws the final state (with `summary` metrics, if given) and ends the line. Idempotent. */
  finish(summary?: Metrics): void {
    if (this.finished) return;
    if (summary !== undefined) this.metrics = { ...this.metrics, ...summary };
    const t = this.now();
    this.finished = true;
    if (this.tty) this.stream.write(`\r${this.fit(this.line(t, true))}${CLEAR_TO_EOL}\n`);
    else this.stream.write(`${this.line(t, false)}\n`);
  }

  private width(): number {
    return Math.max(20, this.opts.width ?? this.stream.columns ?? 80);
  }

  private rate(elapsedS: number): string {
    const unit = this.opts.unit ?? 'it';
    if (this.done === 0 || elapsedS <= 0) return `? ${unit}/s`;
    const perS = this.done / elapsedS;
    // Below one per second the inverse reads better: '2.50 s/it', not '0.4000 it/s'.
    // Fixed 3 digits (not formatMetric, which prints exact integers bare) so the width holds still.
    if (perS < 1) return `${(1 / perS).toPrecision(3)} s/${unit}`;
    return `${perS >= 999.5 ? formatCount(perS) : perS.toPrecision(3)} ${unit}/s`;
  }

  private parts(t: number): { head: string; fraction: number | undefined; tail: string } {
    const elapsedS = Math.max(0, (t - this.start) / 1000);
    const total = this.total;
    const fraction = total ? Math.min(1, this.done / total) : total === 0 ? 1 : undefined;
    const count = total === undefined ? `${this.done}` : `${this.done}/${total}`;
    const label = this.label ? `${this.label} ` : '';
    const head = fraction === undefined ? label.trimEnd() : `${label}${formatPercent(fraction, 0).padStart(4)}`;
    let time = `${this.rate(elapsedS)}  ${formatDuration(elapsedS)}`;
    if (total !== undefined && !this.finished) {
      const eta = this.done > 0 ? (elapsedS / this.done) * Math.max(0, total - this.done) : NaN;
      time += ` eta ${formatDuration(eta)}`;
    }
    const metrics = Object.entries(this.metrics).map(([k, v]) => `${k} ${formatMetric(v, { digits: this.opts.digits })}`).join('  ');
    return { head, fraction, tail: [count, time, metrics].filter(Boolean).join('  ') };
  }

  private line(t: number, withBar: boolean): string {
    const { head, fraction, tail } = this.parts(t);
    if (!withBar || fraction === undefined) return [head, tail].filter(Boolean).join('  ');
    // A bar of fixed width (a quarter of the line) so it does not jitter as the numbers change
    // length; it shrinks only when the text needs the room, and is left out below 5 cells.
    const room = this.width() - 1 - head.length - tail.length - 4 - 2;
    const barWidth = Math.min(Math.max(10, Math.min(30, Math.floor(this.width() / 4))), room);
    if (barWidth < 5) return [head, tail].filter(Boolean).join('  ');
    return [head, bar(fraction, barWidth), tail].filter(Boolean).join('  ');
  }

  // One column short of the width: writing the last column makes some terminals wrap.
  private fit(line: string): string {
    const max = this.width() - 1;
    return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
  }
}
