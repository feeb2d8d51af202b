// The confusion matrix of every validation epoch of a classification run (rows: true classes,
// columns: predicted classes), recorded in the run store as a 'confusion' event and appended to
// <run>/media/confusion.jsonl (which the TensorBoard export draws as an image). The board's run page
// shows it as a heatmap with an epoch slider.
//
// The Trainer has no per-batch validation hook, and its validation metrics come from the metrics
// factory it was given. So the callback, from onFitStart to onFitEnd, adds a ConfusionMatrix to the
// metrics that factory makes (unless it already makes one), reads it back from
// trainer.lastEvaluation when validation ends, and records it when the epoch ends (where the epoch and
// step are known). The matrix it adds never throws: a batch it cannot count (float targets, a class
// index out of range) turns it off for the rest of the fit instead of stopping the training. The
// factory already ran for the training metrics before onFitStart, so the train metrics (and their
// checkpointed state) are unchanged; the matrix adds one bincount per validation batch.

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { drawText } from '../checks/figures.js';
import type { Tensor } from '../torch/index.js';
import type { Callback, EpochEnd, Metrics, Trainer } from '../train/index.js';
import { Accuracy, ConfusionMatrix, type Metric } from '../train/metrics.js';
import type { Run } from './run.js';
import type { ConfusionRecord } from './confusion-record.js';

export { parseConfusion, type ConfusionRecord } from './confusion-record.js';

export interface ConfusionOptions {
  /** the class names, one per class (their number is the matrix's size) */
  classes: readonly string[];
  /** the run in the store: each matrix becomes a 'confusion' event */
  tracked?: Run | null;
  /** the run folder: each matrix is appended to <dir>/media/confusion.jsonl (for `sous export`) */
  dir?: string;
  /** every how many epochs (default 1) */
  every?: number;
  /** no matrix for more classes than this (default 100: 10,000 counts per epoch) */
  maxClasses?: number;
}

/** A ConfusionMatrix that stops counting, rather than throwing, at a batch it cannot count. */
class LenientConfusion extends ConfusionMatrix {
  failure: Error | null = null;
  override update(outputs: Tensor, targets: Tensor): void {
    if (this.failure !== null) return;
    try {
      super.update(outputs, targets);
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
    }
  }
}

// the callback recording for a trainer, so that two (the media callback's and one of one's own) do not record twice
const RECORDER = new WeakMap<Trainer, ConfusionCallback>();

export class ConfusionCallback implements Callback {
  private original: (() => Metric[]) | undefined;
  private patched: (() => Metric[]) | null = null;
  private pending: number[][] | null = null;
  private failed = false;
  private readonly classes: string[];

  constructor(private readonly o: ConfusionOptions) {
    if (!Array.isArray(o.classes) || o.classes.length === 0) throw new TypeError('ConfusionCallback: classes must be a non-empty array of class names');
    this.classes = o.classes.map(String);
  }

  private active(trainer: Trainer): boolean {
    return RECORDER.get(trainer) === this;
  }

  onFitStart(trainer: Trainer): void {
    // a fit that threw never reached onFitEnd: undo what it left
    if (RECORDER.get(trainer) === this) this.onFitEnd(trainer);
    const k = this.classes.length;
    if (RECORDER.has(trainer) || k > (this.o.maxClasses ?? 100)) return;
    RECORDER.set(trainer, this);
    this.failed = false;
    this.original = trainer.opts.metrics;
    const make = this.original ?? (() => [new Accuracy()]);
    // the factory's own matrix, if it makes one, is read instead of adding another
    if (make().some((m) => m instanceof ConfusionMatrix && m.numClasses === k)) return;
    this.patched = () => (this.failed ? make() : [...make(), new LenientConfusion(k, { name: 'confusion_matrix' })]);
    trainer.opts.metrics = this.patched;
  }

  onValidationEnd(trainer: Trainer, _metrics: Metrics): void {
    if (!this.active(trainer)) return;
    const ev = trainer.lastEvaluation;
    if (ev === null || ev.prefix !== 'val') return;
    const cm = ev.metrics.find((m): m is ConfusionMatrix => m instanceof ConfusionMatrix && m.numClasses === this.classes.length);
    if (cm === undefined) return;
    if (cm instanceof LenientConfusion && cm.failure !== null) {
      // off for the rest of the fit
      process.stderr.write(`confusion matrix: not recorded (${cm.failure.message.split('\n')[0]})\n`);
      this.failed = true;
      return;
    }
    this.pending = cm.matrix();
  }

  onEpochEnd(trainer: Trainer, e: EpochEnd): void {
    if (!this.active(trainer)) return;
    const matrix = this.pending;
    this.pending = null;
    if (matrix === null || e.epoch % (this.o.every ?? 1) !== 0) return;
    const record: ConfusionRecord = { epoch: e.epoch, step: e.step, split: 'val', classes: this.classes, matrix };
    if (this.o.dir !== undefined) {
      const media = join(this.o.dir, 'media');
      mkdirSync(media, { recursive: true });
      appendFileSync(join(media, 'confusion.jsonl'), `${JSON.stringify(record)}\n`);
    }
    this.o.tracked?.event('confusion', 'val', record, { step: e.step });
  }

  onFitEnd(trainer: Trainer): void {
    if (!this.active(trainer)) return;
    RECORDER.delete(trainer);
    if (this.patched !== null && trainer.opts.metrics === this.patched) trainer.opts.metrics = this.original;
    this.patched = null;
    this.pending = null;
  }
}

/**
 * The matrix as a PNG heatmap: rows true classes, columns predictions, each cell shaded by its share
 * of the row (recall along the diagonal), with the count written in when it fits; class names on the
 * left, class indices on top.
 */
export function confusionPng(record: Pick<ConfusionRecord, 'classes' | 'matrix'>): Uint8Array {
  const k = record.matrix.length;
  const most = Math.max(1, ...record.matrix.flat());
  const digits = String(Math.round(most)).length;
  const cell = Math.max(12, Math.min(40, digits * 6 + 4));
  const nameChars = Math.min(12, Math.max(1, ...record.classes.map((c) => c.length)));
  const left = nameChars * 6 + 6;
  const top = 12;
  const width = left + k * cell + 2;
  const height = top + k * cell + 2;
  const png = new PNG({ width, height });
  png.data.fill(255);
  const fill = (x0: number, y0: number, w: number, h: number, rgb: readonly [number, number, number]) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) {
      const o = (y * width + x) * 4;
      png.data[o] = rgb[0]; png.data[o + 1] = rgb[1]; png.data[o + 2] = rgb[2]; png.data[o + 3] = 255;
    }
  };
  for (let r = 0; r < k; r++) {
    const row = record.matrix[r]!;
    const total = row.reduce((a, b) => a + b, 0);
    drawText(png, record.classes[r] ?? String(r), 2, top + r * cell + Math.floor((cell - 7) / 2), left - 4, [40, 40, 40]);
    for (let c = 0; c < k; c++) {
      const share = total > 0 ? row[c]! / total : 0;
      // white to blue (diagonal) or to red (a confusion)
      const rgb: [number, number, number] = r === c
        ? [Math.round(255 - 218 * share), Math.round(255 - 156 * share), Math.round(255 - 20 * share)]
        : [Math.round(255 - 35 * share), Math.round(255 - 217 * share), Math.round(255 - 217 * share)];
      const x = left + c * cell;
      const y = top + r * cell;
      fill(x, y, cell - 1, cell - 1, rgb);
      const text = String(Math.round(row[c]!));
      if (text.length * 6 <= cell - 2) drawText(png, text, x + Math.floor((cell - 1 - text.length * 6 + 1) / 2), y + Math.floor((cell - 8) / 2), cell, share > 0.5 ? [255, 255, 255] : [30, 30, 30]);
    }
  }
  for (let c = 0; c < k; c++) {
    const text = String(c);
    drawText(png, text, left + c * cell + Math.floor((cell - text.length * 6) / 2), 2, cell, [90, 90, 90]);
  }
  return PNG.sync.write(png);
}
