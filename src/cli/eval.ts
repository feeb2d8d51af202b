// `sous eval`: a run's model on its test (or validation) split: loss, accuracy, per-class accuracy
// and the confusion matrix.

import { parseArgs } from 'node:util';
import { buildExperimentData, openRun, buildLoss, buildMetrics, type OpenRun } from '../experiment/index.js';
import { inpaintingMetrics } from '../inpaint/index.js';
import { inpaintingReport } from '../experiment/inpaint-report.js';
import { recordEval } from '../experiment/record.js';
import { formatInpaintingReport } from './inpaint-report.js';
import type * as nn from '../nn/index.js';
import { Trainer, ConfusionMatrix, PerClassAccuracy } from '../train/index.js';
import { optim } from '../index.js';
import { formatTable } from './table.js';
import { formatMetric, formatPercent } from '../util/format.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit.js';

export const EVAL_HELP = `usage: sous eval <run folder> [--split test|val] [--weights best|last] [--json]
                 [--report] [--frechet-classifier <classification run>]

Evaluates a run's model on the test split (or the validation split) of the data its config names,
split exactly as in training (same seed). Classification: loss, accuracy, top-k, per-class accuracy
and the confusion matrix (rows: true class, columns: predicted). Inpainting: loss, PSNR and SSIM
(skimage's defaults and Wang et al.'s window) of the completed images.

options:
  --split S      test (default) or val
  --weights W    best (default: checkpoints/best.safetensors) or last (checkpoints/last.ckpt)
  --json         print the metrics as JSON instead of tables
  --report       inpainting: also the test report, the model beside the baselines (mean fill,
                 smooth fill, nearest training image) on square holes of inpaint.report_hole pixels
  --frechet-classifier RUN
                 inpainting, with --report: add a Fréchet distance on the features of this
                 classification run's model (e.g. a configs/fashion.yaml run); not comparable to FID
  -h, --help     this help

${EXIT_CODES_HELP}`;

function evaluatedOf(r: OpenRun): { dir: string; id: string; name: string; config: Record<string, unknown>; seed: number } {
  return { dir: r.run.dir, id: r.run.id, name: r.config.name, config: { ...r.config } as Record<string, unknown>, seed: r.config.seed };
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      split: { type: 'string', default: 'test' },
      weights: { type: 'string', default: 'best' },
      json: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      'frechet-classifier': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${EVAL_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('sous eval: give one run folder, e.g. sous eval runs/2026-11-23_10-00-00_fashion-cnn');
  if (values.split !== 'test' && values.split !== 'val') throw new UsageError(`sous eval: --split must be test or val, got '${values.split}'`);
  if (values.weights !== 'best' && values.weights !== 'last') throw new UsageError(`sous eval: --weights must be best or last, got '${values.weights}'`);
  const r = await openRun(positionals[0]!, { weights: values.weights });
  const cfg = r.config;
  const data = await buildExperimentData(cfg);
  try {
    const loader = values.split === 'test' ? data.test : data.val;
    if (loader === undefined) throw new UsageError(`sous eval: the run's data has no ${values.split} split${values.split === 'val' ? ' (data.val_fraction is 0)' : ' (an image folder needs a test/ folder beside train/)'}`);
    const k = data.classes.length;
    const loss = buildLoss(cfg, data.trainLabels, k, cfg.device);
    const opt = new optim.SGD(r.model.parameters(), { lr: 0 });
    if (cfg.task === 'inpainting') {
      const t = new Trainer({ model: r.model, optimizer: opt, loss, maxEpochs: 0, wheels: false, metrics: () => inpaintingMetrics({ test: true }) });
      const m = await t.evaluate(loader, values.split);
      const fc = values['frechet-classifier'];
      const report = values.report || fc !== undefined
        ? await inpaintingReport({ ...cfg, inpaint: { ...cfg.inpaint, baselines: true, frechet_classifier: fc ?? cfg.inpaint.frechet_classifier } }, data, r.model as nn.Module, values.json ? undefined : (x) => process.stderr.write(`test report: scoring ${x}\n`))
        : null;
      recordEval(evaluatedOf(r), { split: values.split, weights: r.weights }, m, report ? { inpainting: report } : {});
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ run: r.run.dir, weights: r.weights, split: values.split, metrics: m, ...(report ? { inpainting: report } : {}) }, null, 2)}\n`);
        return EXIT.ok;
      }
      const p = values.split;
      process.stdout.write(`run ${r.run.dir} (${r.weights} weights), ${p} split: ${data.sizes[p]} samples, holes ${cfg.inpaint.hole_min}-${cfg.inpaint.hole_max} px (masks fixed by inpaint.eval_seed=${cfg.inpaint.eval_seed})\n`);
      process.stdout.write(`loss ${formatMetric(m[`${p}/loss`]!)}  PSNR ${formatMetric(m[`${p}/psnr`]!)} dB  SSIM ${formatMetric(m[`${p}/ssim`]!)} (skimage defaults)  SSIM ${formatMetric(m[`${p}/ssim_wang`]!)} (Wang et al. Gaussian window)\n`);
      if (report) process.stdout.write(`\n${formatInpaintingReport(report)}`);
      else if (values.report || fc !== undefined) process.stdout.write('\nno test report: it needs the data set in memory with a test split (Fashion-MNIST); image folders are scored by the metrics above\n');
      return EXIT.ok;
    }
    const t = new Trainer({ model: r.model, optimizer: opt, loss, maxEpochs: 0, wheels: false, metrics: () => [...buildMetrics(cfg, k)(), new PerClassAccuracy(k, data.classes, { name: 'class_accuracy' }), new ConfusionMatrix(k)] });
    const m = await t.evaluate(loader, values.split);
    const cm = t.lastEvaluation?.metrics.find((x) => x instanceof ConfusionMatrix) as ConfusionMatrix;
    recordEval(evaluatedOf(r), { split: values.split, weights: r.weights }, m, { confusion: cm.matrix(), classes: data.classes });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ run: r.run.dir, weights: r.weights, split: values.split, metrics: m, confusion: cm.matrix(), classes: data.classes }, null, 2)}\n`);
      return EXIT.ok;
    }
    const p = values.split;
    process.stdout.write(`run ${r.run.dir} (${r.weights} weights), ${p} split: ${data.sizes[p]} samples\n`);
    process.stdout.write(`loss ${formatMetric(m[`${p}/loss`]!)}  accuracy ${formatPercent(m[`${p}/accuracy`]!)}`);
    for (const [key, v] of Object.entries(m)) if (/top\d+_accuracy$/.test(key)) process.stdout.write(`  ${key.split('/')[1]} ${formatPercent(v)}`);
    process.stdout.write('\n\n');
    process.stdout.write(`${formatTable(['class', 'accuracy', 'samples'], data.classes.map((c, i) => [c, m[`${p}/class_accuracy/${c}`] ?? null, cm.matrix()[i]!.reduce((a, b) => a + b, 0)]))}\n\n`);
    process.stdout.write(`confusion matrix (rows: true, columns: predicted)\n${cm.format(data.classes)}\n`);
    return EXIT.ok;
  } finally {
    await data.close();
  }
}
