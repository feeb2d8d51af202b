// `sous train`: one run, a sweep of runs (--multirun), or the continuation of a killed run (--resume).

import { parseArgs } from 'node:util';
import { planSweep, toYaml, type ConfigValue } from '../config/index.js';
import { loadExperiment, trainRun, type TrainRunResult } from '../experiment/index.js';
import { ProgressCallback, summaryTable } from './progress-callback.js';
import { formatTable } from './table.js';
import { formatInpaintingReport } from './inpaint-report.js';
import { formatMetric, formatPercent, formatDuration } from '../util/format.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit.js';
import type { Trainer } from '../train/index.js';
import { ALL_CHECKS, formatResult, type CheckResult } from '../checks/index.js';

export const TRAIN_HELP = `usage: sous train <config.yaml> [overrides...] [options]
       sous train --resume <run folder>

Runs the doctor's cheap checks first (data statistics, labels, loss at init, dead layers, batch
independence...: a failure stops before training, exit code 4), then trains the model a config
describes, validating every epoch. The best weights (by trainer.monitor) go to
<run>/checkpoints/best.safetensors, the full training state to last.ckpt (every epoch and every
trainer.checkpoint_every steps), and the test set is evaluated once at the end with the best
weights. A run folder runs/<date>_<time>_<name>/ keeps the resolved config, the overrides, run.json
(seed, git commit, versions, device, data hashes, result), metrics.jsonl, events.jsonl and the
pre-flight doctor report.

Tasks: classification (configs/fashion.yaml) and inpainting (configs/inpaint.yaml: a U-Net fills
random holes; validation PSNR/SSIM, reconstructions per epoch in <run>/media/, and a test report
beside mean, smooth and nearest-training-image fills; docs/inpainting.md).

options:
  --resume DIR    continue the run in DIR from its last checkpoint (after a crash, kill or Ctrl-C);
                  on CPU the continued run's losses equal the uninterrupted run's, bit for bit
  -m, --multirun  run every combination of the swept overrides, one run each
                  (optim.lr=1e-3,3e-4  model=cnn,resnet  trainer.epochs=range(2,6,2))
  --cfg           print the composed, resolved config and exit
  --no-test       skip the test-set evaluation
  --no-doctor     skip the doctor's cheap checks that run before training (sous doctor runs them all)
  --force         train even when a cheap check fails
  -q, --quiet     no progress bars (epoch lines and the summary are still printed)
  -h, --help      this help

overrides (Hydra's syntax):
  optim.lr=3e-4            set a key (it must exist; a typo gets a "did you mean")
  +trainer.grad_clip_norm=1  add a key;  ++key=v adds or sets;  ~key removes
  model=resnet             pick another option of a config group (a folder beside the config)

examples:
  sous train configs/fashion.yaml
  sous train configs/fashion.yaml model=mlp optim.lr=1e-3 trainer.epochs=2
  sous train configs/fashion.yaml -m optim.lr=1e-3,3e-3
  sous train configs/inpaint.yaml model.conv=gated inpaint.hole_min=12 inpaint.hole_max=12
  sous train --resume runs/2026-11-23_10-00-00_fashion-cnn

${EXIT_CODES_HELP}`;

function exitCodeOf(r: TrainRunResult): number {
  if (r.result.status === 'diverged') return EXIT.diverged;
  if (r.result.status === 'interrupted') return EXIT.interrupted;
  return EXIT.ok;
}

/** Ctrl-C (or SIGTERM) asks the trainer to stop after the current step and write a checkpoint; a second one exits at once. */
function hookSignals(): { attach(t: Trainer): void; detach(): void } {
  let trainer: Trainer | null = null;
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1 || trainer === null) {
      process.stderr.write(`\n${sig} again: exiting without a new checkpoint\n`);
      process.exit(EXIT.interrupted);
    }
    process.stderr.write(`\n${sig}: stopping after this step and writing a checkpoint (press Ctrl-C again to quit at once)\n`);
    trainer.requestStop(`interrupted by ${sig}`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    attach(t) { trainer = t; },
    detach() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

function printResult(r: TrainRunResult, out: NodeJS.WritableStream): void {
  if (r.result.history.length > 0) out.write(`\n${summaryTable(r.result)}\n`);
  const best = r.result.best;
  out.write(`\nrun ${r.run.dir}\nstatus ${r.result.status} after ${r.result.epochs} epoch(s), ${r.result.steps} steps, ${formatDuration(r.result.seconds)}`);
  if (best) out.write(`; best ${best.metric} ${formatMetric(best.value)} at epoch ${best.epoch + 1}`);
  out.write('\n');
  if (r.test) {
    const acc = r.test['test/accuracy'];
    const psnr = r.test['test/psnr'];
    const images = psnr !== undefined ? `, PSNR ${formatMetric(psnr)} dB, SSIM ${formatMetric(r.test['test/ssim'] ?? NaN)}` : '';
    out.write(`test (${r.testWeights} weights): loss ${formatMetric(r.test['test/loss'] ?? NaN)}${acc !== undefined ? `, accuracy ${formatPercent(acc)}` : ''}${images}\n`);
    const perClass = r.classes.map((c) => [c, r.test![`test/class_accuracy/${c}`] === undefined ? '' : formatPercent(r.test![`test/class_accuracy/${c}`]!)]);
    if (perClass.some((p) => p[1] !== '')) out.write(`\n${formatTable(['class', 'test accuracy'], perClass)}\n`);
  }
  if (r.inpainting) out.write(`\n${formatInpaintingReport(r.inpainting)}`);
  const events = r.result.events.filter((e) => e.type === 'rollback' || e.type === 'diverged' || e.type === 'early_stop' || e.type === 'interrupted');
  if (events.length > 0) out.write(`\nevents:\n${events.map((e) => `  [${e.type}] ${e.message}`).join('\n')}\n`);
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      resume: { type: 'string' },
      multirun: { type: 'boolean', short: 'm', default: false },
      cfg: { type: 'boolean', default: false },
      'no-test': { type: 'boolean', default: false },
      'no-doctor': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${TRAIN_HELP}\n`);
    return EXIT.ok;
  }
  const configPath = values.resume !== undefined ? null : positionals[0] ?? null;
  const overrides = values.resume !== undefined ? positionals : positionals.slice(1);
  if (configPath === null && values.resume === undefined) throw new UsageError('sous train: give a config file (e.g. configs/fashion.yaml) or --resume <run folder>; see sous train --help');
  if (configPath !== null && configPath.includes('=')) throw new UsageError(`sous train: the first argument must be the config file, got the override '${configPath}'; e.g. sous train configs/fashion.yaml ${configPath}`);

  const jobs = values.multirun && configPath !== null ? planSweep(configPath, { overrides }) : [overrides];
  if (values.cfg) {
    for (const job of jobs) {
      const exp = loadExperiment(configPath ?? '', job);
      if (jobs.length > 1) process.stdout.write(`# ${job.join(' ')}\n`);
      process.stdout.write(toYaml(exp.raw as ConfigValue));
    }
    return EXIT.ok;
  }
  const results: { job: string[]; r: TrainRunResult | null; error?: string }[] = [];
  for (const [i, job] of jobs.entries()) {
    if (jobs.length > 1) process.stderr.write(`\n== run ${i + 1}/${jobs.length}: ${job.join(' ')}\n`);
    const signals = hookSignals();
    try {
      const maxEpochs = values.resume === undefined ? loadExperiment(configPath!, job).config.trainer.epochs : Infinity;
      const progress = values.quiet ? [] : [new ProgressCallback(maxEpochs)];
      const r = await trainRun(configPath, job, {
        ...(values.resume !== undefined ? { resume: values.resume } : {}),
        callbacks: progress,
        onTrainer: (t) => {
          signals.attach(t);
          for (const p of progress) p.maxEpochs = t.opts.maxEpochs;
        },
        command: ['sous', 'train', ...argv].join(' '),
        noTest: values['no-test'],
        ...(values.quiet ? {} : { onReport: (m: string) => process.stderr.write(`test report: scoring ${m}\n`) }),
        ...(values['no-doctor'] ? {} : {
          preflight: {
            checks: ALL_CHECKS.filter((c) => c.cost === 'cheap'),
            force: values.force,
            onResult: (res: CheckResult) => { if (res.verdict !== 'pass' && res.verdict !== 'skip') process.stderr.write(`${formatResult(res)}\n`); },
          },
        }),
      });
      printResult(r, process.stdout);
      results.push({ job, r });
      if (r.result.status === 'interrupted') break;
    } catch (e) {
      if (jobs.length === 1) throw e;
      process.stderr.write(`run ${i + 1} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      results.push({ job, r: null, error: e instanceof Error ? e.message : String(e) });
    } finally {
      signals.detach();
    }
  }
  if (jobs.length > 1) {
    // only what differs between the runs: the swept values
    const swept = (job: string[]) => job.filter((o) => !jobs.every((j) => j.includes(o))).join(' ');
    const key = results.some(({ r }) => r?.test?.['test/psnr'] !== undefined) ? 'test/psnr' : 'test/accuracy';
    const rows = results.map(({ job, r, error }) => [swept(job), r?.result.status ?? `failed: ${error}`, r?.result.best?.value ?? null, r?.test?.[key] ?? null, r?.run.dir ?? '']);
    process.stdout.write(`\n${formatTable(['overrides', 'status', 'best', key === 'test/psnr' ? 'test psnr' : 'test acc', 'run'], rows)}\n`);
    if (results.some((x) => x.r === null)) return EXIT.error;
  }
  const codes = results.map((x) => (x.r ? exitCodeOf(x.r) : EXIT.error));
  return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}
