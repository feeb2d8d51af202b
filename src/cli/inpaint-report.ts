// The inpainting test report as a table (sous train and sous eval print it).

import type { InpaintingReport } from '../experiment/index.js';
import { formatTable } from './table.js';
import { formatDuration, formatMetric } from '../util/format.js';

export function formatInpaintingReport(rep: InpaintingReport): string {
  const fd = rep.frechet !== undefined;
  const rows = rep.methods.map((m) => [m.method, m.psnr, m.ssim, m.ssim_wang, ...(fd ? [m.frechet ?? null] : []), formatDuration(m.seconds)]);
  let out = `inpainting, ${rep.images} test images with ${rep.hole}×${rep.hole} holes (masks fixed by inpaint.eval_seed=${rep.evalSeed}):\n`;
  out += `${formatTable(['method', 'PSNR dB', 'SSIM', 'SSIM (Wang)', ...(fd ? ['Fréchet'] : []), 'time'], rows)}\n`;
  if (rep.frechet) out += `Fréchet: ${rep.frechet.name} (${rep.frechet.classifier}); train vs test images: ${formatMetric(rep.frechet.trainVsTest)}. Not comparable to published FID.\n`;
  return out;
}
