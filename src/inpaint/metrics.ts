// Epoch metrics of an inpainting model, scored as the task is judged: on the completed image (the
// prediction inside the hole, the known pixels outside, clamped to [0, 1]) against the original.
// Targets carry the mask (masks.ts).

import { torch, type Tensor } from '../torch/index.js';
import { ImageQualityMetric, type SsimPreset } from '../train/image-metrics.js';
import type { Metric, MetricState } from '../train/metrics.js';
import { composite, splitMaskChannel } from './masks.js';

/** PSNR or SSIM (data range 1) of completed images: update(outputs [B, C, H, W], targets [B, C+1, H, W]). */
export class CompletedImageMetric implements Metric<number> {
  readonly name: string;
  private readonly inner: ImageQualityMetric;
  constructor(kind: 'psnr' | 'ssim', opts: { name?: string; preset?: SsimPreset } = {}) {
    this.name = opts.name ?? kind;
    this.inner = new ImageQualityMetric(kind, { dataRange: 1, name: this.name, ...(kind === 'ssim' ? { preset: opts.preset ?? 'skimage' } : {}) });
  }
  update(outputs: Tensor, targets: Tensor): void {
    const done = torch.tidy(() => {
      const { images, masks } = splitMaskChannel(targets);
      const out = outputs.detach().to('float32');
      return [composite(out.clamp(0, 1), images.to('float32'), masks.to('float32')), images.to('float32')] as const;
    });
    try {
      this.inner.update(done[0], done[1]);
    } finally {
      done[0].dispose();
      done[1].dispose();
    }
  }
  compute(): number {
    return this.inner.compute();
  }
  reset(): void {
    this.inner.reset();
  }
  state(): MetricState {
    return this.inner.state();
  }
  loadState(state: MetricState): void {
    this.inner.loadState(state);
  }
}

/** The metrics an inpainting run reports: PSNR, SSIM (skimage's defaults) and, at test time, SSIM with Wang et al.'s window. */
export function inpaintingMetrics(opts: { test?: boolean } = {}): Metric[] {
  return [
    new CompletedImageMetric('psnr'),
    new CompletedImageMetric('ssim', { preset: 'skimage' }),
    ...(opts.test ? [new CompletedImageMetric('ssim', { name: 'ssim_wang', preset: 'wang' })] : []),
  ];
}
