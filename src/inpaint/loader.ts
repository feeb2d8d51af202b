// A loader for the inpainting task: wraps a loader of images (any BatchLoader whose batches carry
// the images as `inputs` and the dataset indices) and turns each batch into masked inputs and
// mask-carrying targets (masks.ts). Training masks are drawn per sample and per epoch; evaluation
// masks are fixed per sample. The masks depend only on (seed, epoch, index), so a resumed run sees
// the masks it would have seen.

import type { Tensor } from '../torch/index.js';
import type { Batch } from '../data/index.js';
import type { BatchLoader } from '../train/trainer.js';
import { inpaintingTargets, maskedInputs, randomRectangleMasks, InpaintingError, type HoleOptions } from './masks.js';

export interface InpaintingLoaderOptions {
  holes: HoleOptions;
  /** seeds the masks (with the epoch and the sample index) */
  seed: number;
  /** 'train': new masks every epoch; 'eval': the same mask for a sample every time */
  mode: 'train' | 'eval';
}

type ImageLoader = BatchLoader & { close?(): Promise<void>; readonly epoch?: number };

export class InpaintingLoader implements BatchLoader {
  readonly mode: 'train' | 'eval';
  private nextEpoch = 0;
  constructor(readonly images: ImageLoader, readonly opts: InpaintingLoaderOptions) {
    this.mode = opts.mode;
  }
  get length(): number {
    return this.images.length;
  }
  setEpoch(epoch: number, startBatch = 0): void {
    this.nextEpoch = epoch;
    this.images.setEpoch(epoch, startBatch);
  }
  train(training = true): this {
    this.images.train?.(training);
    return this;
  }

  /** The masked version of one batch of images (the images are disposed). */
  transform(batch: Batch, epoch: number | null): Batch {
    const x = batch.inputs;
    if (x.ndim !== 4) throw new InpaintingError(`inpainting needs image batches [B, C, H, W], got [${x.shape.join(', ')}]`);
    if (batch.indices === undefined || batch.indices.length !== x.shape[0]) throw new InpaintingError('inpainting: the image loader must give each batch the dataset indices of its samples (masks are drawn per sample)');
    const [, , H, W] = x.shape as [number, number, number, number];
    const masks = randomRectangleMasks(batch.indices, H, W, this.opts.holes, this.opts.seed, epoch);
    let inputs: Tensor | undefined;
    try {
      const m = masks.to(x.device);
      inputs = maskedInputs(x, m);
      const targets = inpaintingTargets(x, m);
      if (m !== masks) m.dispose();
      return { inputs, targets, indices: batch.indices };
    } catch (e) {
      inputs?.dispose();
      throw e;
    } finally {
      masks.dispose();
      x.dispose();
      batch.targets.dispose();
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    const epoch = this.nextEpoch++;
    const it = this.images[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield this.transform(r.value, this.mode === 'train' ? epoch : null);
      }
    } finally {
      await it.return?.();
    }
  }

  async close(): Promise<void> {
    await this.images.close?.();
  }
}
