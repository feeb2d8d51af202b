// The test report of an inpainting run: the model and the baselines (mean fill, smooth fill from the
// hole's border, nearest training image) on the test images with square holes of inpaint.report_hole
// pixels (masks fixed by inpaint.eval_seed, so every run and method sees the same holes), scored by
// PSNR, SSIM (skimage's defaults and Wang et al.'s window) and optionally a Fréchet distance on the
// features of a Fashion-MNIST classifier trained by Sous (not comparable to published FID).

import { existsSync } from 'node:fs';
import { torch, type Tensor } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import { ConfigError } from '../config/index.js';
import { psnr, ssim } from '../train/image-metrics.js';
import { composite, maskedInputs, randomRectangleMasks, meanFill, smoothFill, nearestTrainingFill, classifierFeatures, featureStatistics, frechetDistanceFromStatistics, FRECHET_DISTANCE_NAME } from '../inpaint/index.js';
import type { ExperimentConfig } from './schema.js';
import type { ExperimentData } from './data.js';

export interface MethodScores {
  method: string;
  psnr: number;
  ssim: number;
  ssim_wang: number;
  /** Fréchet distance of the completed test images to the originals, on the classifier's features */
  frechet?: number;
  seconds: number;
}

export interface InpaintingReport {
  hole: number;
  images: number;
  evalSeed: number;
  methods: MethodScores[];
  frechet?: { name: string; classifier: string; note: string; trainVsTest: number };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The model's completions of masked images, in batches, in eval mode without autograd. */
function modelFill(model: nn.Module, images: Tensor, masks: Tensor, batch = 500): Tensor {
  const was = model.training;
  model.eval();
  try {
    const device = model.parameters()[0]?.device ?? 'cpu';
    const parts: Tensor[] = [];
    for (let i = 0; i < images.shape[0]!; i += batch) {
      const n = Math.min(batch, images.shape[0]! - i);
      parts.push(torch.noGrad(() => torch.tidy(() => {
        const x = images.narrow(0, i, n), m = masks.narrow(0, i, n);
        const out = (model.call(maskedInputs(x, m).to(device)) as Tensor).to('cpu').to(images.dtype).clamp(0, 1);
        return composite(out, x, m).keep();
      })));
    }
    const all = torch.cat(parts);
    for (const p of parts) p.dispose();
    return all;
  } finally {
    model.train(was);
  }
}

/** A classification run's model, to take features from, and how it normalises its inputs. */
async function loadClassifier(path: string): Promise<{ model: nn.Module; prepare: (x: Tensor) => Tensor; name: string }> {
  if (!existsSync(path)) throw new ConfigError(`inpaint.frechet_classifier: ${path} does not exist; give the run folder of a Fashion-MNIST classifier trained by \`sous train configs/fashion.yaml\``);
  const { openRun } = await import('./open-run.js');
  const r = await openRun(path);
  if (r.config.task !== 'classification') throw new ConfigError(`inpaint.frechet_classifier: ${r.run.dir} is an ${r.config.task} run; give a classification run (sous train configs/fashion.yaml)`);
  const stats = r.stats;
  const prepare = (x: Tensor) => (stats === null ? x.clone() : x.sub(stats.mean[0]!).div(stats.std[0]!));
  return { model: r.model as nn.Module, prepare, name: r.run.dir };
}

export async function inpaintingReport(cfg: ExperimentConfig, data: ExperimentData, model: nn.Module, onProgress?: (what: string) => void): Promise<InpaintingReport | null> {
  const imgs = data.images;
  if (imgs === undefined || imgs.test === undefined) return null;
  const test = imgs.test.to('cpu').to('float32');
  const train = imgs.train.to('cpu').to('float32');
  const [N, , H, W] = test.shape as [number, number, number, number];
  const hole = Math.min(cfg.inpaint.report_hole, H, W);
  const masks = randomRectangleMasks(Array.from({ length: N }, (_, i) => i), H, W, { minSize: hole, maxSize: hole }, cfg.inpaint.eval_seed, null);
  const owned: Tensor[] = [test, train, masks];
  try {
    const classifier = cfg.inpaint.frechet_classifier === null ? null : await loadClassifier(cfg.inpaint.frechet_classifier);
    const features = (x: Tensor) => torch.tidy(() => featureStatistics(classifierFeatures(classifier!.model, classifier!.prepare(x))));
    const reference = classifier ? features(test) : null;
    const methods: MethodScores[] = [];
    const score = (method: string, fill: () => Tensor) => {
      onProgress?.(method);
      const t0 = performance.now();
      const done = fill();
      const seconds = (performance.now() - t0) / 1000;
      try {
        const s: MethodScores = {
          method,
          psnr: mean(psnr(done, test, { dataRange: 1 }).perImage),
          ssim: mean(ssim(done, test, { dataRange: 1, preset: 'skimage' }).perImage),
          ssim_wang: mean(ssim(done, test, { dataRange: 1, preset: 'wang' }).perImage),
          seconds,
        };
        if (classifier && reference) s.frechet = frechetDistanceFromStatistics(features(done), reference);
        methods.push(s);
      } finally {
        done.dispose();
      }
    };
    score(`model (${cfg.model.name})`, () => modelFill(model, test, masks));
    if (cfg.inpaint.baselines) {
      score('mean fill', () => meanFill(test, masks));
      score('smooth fill', () => smoothFill(test, masks));
      score('nearest training image', () => nearestTrainingFill(test, masks, train).images);
    }
    const report: InpaintingReport = { hole, images: N, evalSeed: cfg.inpaint.eval_seed, methods };
    if (classifier && reference) {
      report.frechet = {
        name: FRECHET_DISTANCE_NAME,
        classifier: classifier.name,
        note: 'features of the input to the classifier\'s final Linear layer; not comparable to published FID (Inception-v3 features)',
        trainVsTest: frechetDistanceFromStatistics(features(train), reference),
      };
      classifier.model.dispose();
    }
    return report;
  } finally {
    for (const t of owned) t.dispose();
  }
}
