// Media during training (the seeds look at predictions as training goes): every epoch, the model's
// predictions on a fixed batch as a PNG grid captioned "predicted/true", and histograms of every
// parameter's values and of its gradient at the epoch's last step. Files go to <run>/media/; the
// store records the images as artifacts and the histograms as events, and the TensorBoard export
// picks both up. For classification it also records each validation epoch's confusion matrix
// (confusion.ts; `confusion: false` turns that off).

import { mkdirSync, appendFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { torch, type Tensor } from '../torch/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { gridPng } from '../checks/figures.js';
import type { Callback, EpochEnd, Metrics, Trainer } from '../train/index.js';
import { ConfusionCallback } from './confusion.js';
import { composite } from '../inpaint/masks.js';
import type { Run } from './run.js';

export interface MediaOptions {
  /** the run folder: files go to <dir>/media/ */
  dir: string;
  /**
   * a fixed batch (inputs as the model takes them; class-index targets, or for inpainting the
   * images with the hole mask as the last channel, drawn as reconstructions); kept by the caller
   */
  inputs: Tensor;
  targets: Tensor;
  classes: readonly string[];
  /** every how many epochs (default 1) */
  every?: number;
  /** bins of the parameter histograms (default 30) */
  bins?: number;
  /** the run in the store, to record artifacts and histogram events */
  tracked?: Run | null;
  /** classification: record each validation epoch's confusion matrix (default true; see ConfusionCallback) */
  confusion?: boolean;
}

export interface Histogram {
  epoch: number;
  step: number;
  name: string;
  min: number;
  max: number;
  counts: number[];
}

/** A histogram of a tensor's values: `bins` equal-width bins over [min, max]. */
export function histogram(t: Tensor, bins: number): { min: number; max: number; counts: number[] } {
  return torch.noGrad(() => torch.tidy(() => {
    const x = t.detach().float().reshape(-1);
    const min = x.min().item();
    const max = x.max().item();
    const counts = Array.from(torch.histc(x, { bins, min, max: max > min ? max : min + 1 }).toArray() as Float32Array, Math.round);
    return { min, max, counts };
  }));
}

export class MediaCallback implements Callback {
  private readonly media: string;
  private readonly confusion: ConfusionCallback | null;
  constructor(private readonly o: MediaOptions) {
    this.media = join(o.dir, 'media');
    const classification = !o.targets.isFloatingPoint() && o.classes.length > 0;
    this.confusion = classification && o.confusion !== false ? new ConfusionCallback({ classes: o.classes, tracked: o.tracked ?? null, dir: o.dir, ...(o.every !== undefined ? { every: o.every } : {}) }) : null;
  }

  onFitStart(trainer: Trainer): void {
    this.confusion?.onFitStart(trainer);
  }

  onValidationEnd(trainer: Trainer, metrics: Metrics): void {
    this.confusion?.onValidationEnd(trainer, metrics);
  }

  onFitEnd(trainer: Trainer): void {
    this.confusion?.onFitEnd(trainer);
  }

  private gradHists: Histogram[] = [];

  /** Gradient histograms of the epoch's last optimizer step (the only moment the gradients exist). */
  onBeforeStep(trainer: Trainer, info: { step: number; epoch: number; batch: number; batches: number }): void {
    if (info.batch !== info.batches - 1 || info.epoch % (this.o.every ?? 1) !== 0) return;
    this.gradHists = [];
    for (const [pname, p] of trainer.model.namedParameters()) {
      const g = p.grad;
      if (g !== null) this.gradHists.push({ epoch: info.epoch, step: info.step + 1, name: `grad/${pname}`, ...histogram(g, this.o.bins ?? 30) });
    }
  }

  onEpochEnd(trainer: Trainer, e: EpochEnd): void {
    this.confusion?.onEpochEnd(trainer, e);
    if (e.epoch % (this.o.every ?? 1) !== 0) return;
    mkdirSync(this.media, { recursive: true });
    const images = this.o.targets.isFloatingPoint();
    const name = `${images ? 'reconstructions' : 'predictions'}-epoch-${String(e.epoch + 1).padStart(3, '0')}.png`;
    const path = join(this.media, name);
    const png = images ? this.reconstructionsPng(trainer) : this.predictionsPng(trainer);
    writeFileAtomic(path, (fd) => { writeSync(fd, png); });
    this.o.tracked?.artifact(`media/${name}`, path, 'image');
    const hists: Histogram[] = [];
    for (const [pname, p] of trainer.model.namedParameters()) hists.push({ epoch: e.epoch, step: e.step, name: pname, ...histogram(p, this.o.bins ?? 30) });
    hists.push(...this.gradHists.filter((h) => h.epoch === e.epoch));
    this.gradHists = [];
    appendFileSync(join(this.media, 'histograms.jsonl'), hists.map((h) => `${JSON.stringify(h)}\n`).join(''));
    for (const h of hists) this.o.tracked?.event('histogram', h.name, h, { step: e.step });
  }

  /**
   * Inpainting: per sample a column of the masked input, the completed image (prediction inside the
   * hole, known pixels outside; captioned with its PSNR) and the original.
   */
  private reconstructionsPng(trainer: Trainer): Uint8Array {
    const model = trainer.model;
    const was = model.training;
    model.eval();
    try {
      const k = Math.min(8, this.o.inputs.shape[0]!);
      const { grid, psnrs } = torch.noGrad(() => torch.tidy(() => {
        const device = model.parameters()[0]?.device ?? 'cpu';
        const x = this.o.inputs.narrow(0, 0, k);
        const t = this.o.targets.narrow(0, 0, k).to('float32');
        const c = t.shape[1]! - 1;
        const truth = t.narrow(1, 0, c);
        const mask = t.narrow(1, c, 1);
        const out = (model.call(x.to(device)) as Tensor).to('cpu').to('float32').clamp(0, 1);
        const done = composite(out, truth, mask);
        const shown = x.narrow(1, 0, c).to('float32').add(mask.mul(0.5)); // the hole shows grey
        const mse = done.sub(truth).pow(2).mean([1, 2, 3]).toNumbers();
        return { grid: torch.cat([shown, done, truth]).keep(), psnrs: mse.map((m) => (m > 0 ? 10 * Math.log10(1 / m) : Infinity)) };
      }));
      try {
        const labels = [...Array.from({ length: k }, () => 'in'), ...psnrs.map((p) => (Number.isFinite(p) ? p.toFixed(1) : 'inf')), ...Array.from({ length: k }, () => 'true')];
        return gridPng(grid, { labels, cols: k, scale: 'global' });
      } finally {
        grid.dispose();
      }
    } finally {
      model.train(was);
    }
  }

  /** The fixed batch with "predicted/true" captions (a wrong prediction is marked with '!'). */
  private predictionsPng(trainer: Trainer): Uint8Array {
    const model = trainer.model;
    const was = model.training;
    model.eval();
    try {
      const pred = torch.noGrad(() => torch.tidy(() => {
        const device = model.parameters()[0]?.device ?? 'cpu';
        const out = model.call(this.o.inputs.to(device)) as Tensor;
        return Array.from(out.argmax(1).to('cpu').toArray() as BigInt64Array, Number);
      }));
      const truth = Array.from(this.o.targets.to('cpu').toArray() as BigInt64Array, Number);
      const short = (c: number) => (this.o.classes[c] ?? String(c)).slice(0, 4);
      const labels = pred.map((p, i) => `${p === truth[i] ? '' : '!'}${short(p)}/${short(truth[i]!)}`);
      return gridPng(this.o.inputs, { labels, cols: 8 });
    } finally {
      model.train(was);
    }
  }
}
