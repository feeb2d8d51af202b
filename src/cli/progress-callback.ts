// What a person watching `sous train` sees: a progress bar per epoch (loss, lr, throughput, ETA),
// a line per epoch with its metrics, the run's events as they happen, and a summary table at the end.

import { ProgressBar, type ProgressStream } from './progress.js';
import { formatTable } from './table.js';
import { formatDuration, formatMetric } from '../util/format.js';
import type { Callback, EpochEnd, FitResult, Trainer } from '../train/index.js';

const SHOWN = ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy', 'val/psnr', 'val/ssim'];

function label(name: string): string {
  return name.replace('accuracy', 'acc');
}

export class ProgressCallback implements Callback {
  private bar: ProgressBar | null = null;
  private lossSum = 0;
  private lossN = 0;
  constructor(public maxEpochs: number, private readonly stream: ProgressStream = process.stderr) {}

  onEpochStart(): void {
    this.lossSum = 0;
    this.lossN = 0;
  }

  onBatchStart(_t: Trainer, b: { epoch: number; batch: number; batches: number }): void {
    if (this.bar === null) this.bar = new ProgressBar({ total: b.batches, label: `epoch ${b.epoch + 1}/${this.maxEpochs}`, unit: 'batch', stream: this.stream });
  }

  onBatchEnd(_t: Trainer, b: { batch: number; loss: number; lr: number }): void {
    this.lossSum += b.loss;
    this.lossN++;
    this.bar?.update(b.batch + 1, { loss: this.lossSum / this.lossN, lr: b.lr });
  }

  onEpochEnd(_t: Trainer, e: EpochEnd): void {
    this.bar?.finish();
    this.bar = null;
    const parts = SHOWN.filter((k) => e.metrics[k] !== undefined).map((k) => `${label(k)} ${formatMetric(e.metrics[k]!)}`);
    this.stream.write(`epoch ${e.epoch + 1}/${this.maxEpochs}: ${parts.join('  ')}  lr ${formatMetric(e.metrics.lr ?? NaN, { digits: 3 })}  ${formatDuration(e.seconds)}${e.best ? '  (best)' : ''}\n`);
  }

  onEvent(_t: Trainer, ev: { type: string; message: string }): void {
    const line = `[${ev.type}] ${ev.message}`;
    if (this.bar !== null) this.bar.log(line);
    else this.stream.write(`${line}\n`);
  }

  onFitEnd(): void {
    this.bar?.finish();
    this.bar = null;
  }
}

/** The epochs of a fit as a table (the summary printed at the end of `sous train`). */
export function summaryTable(result: FitResult): string {
  const keys = SHOWN.filter((k) => result.history.some((h) => h.metrics[k] !== undefined));
  const rows = result.history.map((h) => [h.epoch + 1, ...keys.map((k) => h.metrics[k] ?? null), h.metrics.lr ?? null, formatDuration(h.seconds), h.best ? '*' : '']);
  return formatTable(['epoch', ...keys.map(label), 'lr', 'time', 'best'], rows);
}
