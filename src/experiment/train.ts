// One training run from a config: compose and validate the config, seed every generator, build data,
// model, optimizer, schedule and loss, make the run folder (resolved config, overrides, run.json with
// seed, git, versions, device and data hashes), train with the Trainer while metrics and events go to
// JSON-lines files, then evaluate the best weights on the test set once.
//
// `resume` continues a run folder from its last.ckpt with the config saved there.

import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { torch, type Tensor } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import { loadConfig, validateConfig, toYaml, parseYaml, ConfigError, type ConfigObject, type ConfigValue } from '../config/index.js';
import { Trainer, RunFolder, gitInfo, environment, loadCheckpoint, disposeSnapshot, ConfusionMatrix, PerClassAccuracy, type Callback, type FitResult, type Metrics, type RunRecord } from '../train/index.js';
import { ExperimentConfig, schemaPaths } from './schema.js';
import { runDoctor, experimentDoctor } from './doctor.js';
import { writeReport, applyInitBias, type DoctorReport } from '../checks/index.js';
import type { Check, CheckResult } from '../checks/types.js';
import * as track from '../track/index.js';
import { buildExperimentData, type ExperimentData } from './data.js';
import { buildModel, buildOptimizer, buildSchedule, buildLoss, buildMetrics, trainerOptions, checkTask } from './build.js';
import { inpaintingMetrics } from '../inpaint/index.js';
import { inpaintingReport, type InpaintingReport } from './inpaint-report.js';
import { openStoreRun } from './record.js';

export interface LoadedExperiment {
  config: ExperimentConfig;
  /** the composed, resolved config as plain data (what config.yaml holds) */
  raw: ConfigObject;
  overrides: string[];
  choices: Record<string, string | null>;
  /** folder of the primary config file (relative model files resolve against it) */
  dir: string;
}

/** Composes, overrides, resolves and validates a config file. */
export function loadExperiment(path: string, overrides: readonly string[] = []): LoadedExperiment {
  // keys the schema knows (with their defaults) can be set even where the files leave them out,
  // as with Hydra's structured configs; other new keys still need '+'
  const known = new Set(schemaPaths());
  const rewritten = overrides.map((o) => (/^[A-Za-z_]/.test(o) && known.has(o.split('=')[0]!) && o.includes('=') ? `++${o}` : o));
  const loaded = loadConfig(path, { overrides: rewritten });
  loaded.overrides = [...overrides];
  const dir = dirname(resolve(path.endsWith('.yaml') || existsSync(path) ? path : `${path}.yaml`));
  // a relative model file is saved absolute, so the run folder's config works from anywhere
  const model = loaded.config.model as Record<string, ConfigValue> | undefined;
  if (model && typeof model.file === 'string' && !isAbsolute(model.file)) model.file = resolve(dir, model.file);
  const config = validateConfig(loaded.config, ExperimentConfig);
  checkTask(config);
  return { config, raw: loaded.config, overrides: loaded.overrides, choices: loaded.choices, dir };
}

export interface TrainRunOptions {
  /** continue this run folder from its checkpoints/last.ckpt */
  resume?: string;
  /** extra callbacks (progress bars, the doctor) */
  callbacks?: Callback[];
  /** called with the trainer once it exists (the CLI hooks Ctrl-C to trainer.requestStop) */
  onTrainer?: (trainer: Trainer) => void;
  /** the command line, recorded in run.json */
  command?: string;
  /** skip the test-set evaluation */
  noTest?: boolean;
  /** inpainting: called as each method of the test report starts (progress) */
  onReport?: (method: string) => void;
  /**
   * run these checks (the cheap ones, in `sous train`) on the data and model before training; a
   * failing check stops the run before it starts (DoctorFailedError) unless `force`
   */
  preflight?: { checks: readonly Check[]; force?: boolean; onResult?: (r: CheckResult) => void };
}

/** A cheap doctor check failed before training: the run was not started. */
export class DoctorFailedError extends Error {
  constructor(message: string, readonly report: DoctorReport) {
    super(message);
    this.name = 'DoctorFailedError';
  }
}

export interface TrainRunResult {
  run: RunFolder;
  result: FitResult;
  test: Metrics | null;
  confusion: number[][] | null;
  /** inpainting: the model beside the baselines on the test set (square holes of inpaint.report_hole) */
  inpainting: InpaintingReport | null;
  /** the weights the test metrics are of: the best epoch's, or the last ones when no epoch ended */
  testWeights: 'best' | 'last';
  classes: string[];
  config: ExperimentConfig;
}

function readRunConfig(run: RunFolder): LoadedExperiment {
  const p = run.path('config.yaml');
  if (!existsSync(p)) throw new ConfigError(`${run.dir} has no config.yaml: it is not a run folder made by \`sous train\``);
  const raw = parseYaml(readFileSync(p, 'utf8'), p) as ConfigObject;
  const overrides = existsSync(run.path('overrides.yaml')) ? (parseYaml(readFileSync(run.path('overrides.yaml'), 'utf8')) as string[] ?? []) : [];
  const config = validateConfig(raw, ExperimentConfig);
  checkTask(config);
  return { config, raw, overrides, choices: {}, dir: run.dir };
}

/** The training run in the project's store (see openStoreRun). */
function openTracking(run: RunFolder, cfg: ExperimentConfig, exp: LoadedExperiment, resumeAfterStep: number | undefined): track.Run | null {
  const rec = run.readRecord();
  return openStoreRun({
    id: run.id, name: cfg.name, project: String(exp.raw.project ?? 'sous'), dir: run.dir,
    config: exp.raw as Record<string, unknown>, seed: cfg.seed, tags: exp.overrides,
    ...(rec.git ? { git: rec.git as { commit: string | null; dirty: boolean | null } } : {}),
    ...(rec.environment ? { environment: rec.environment } : {}),
    ...(rec.data ? { data: rec.data } : {}),
    ...(resumeAfterStep !== undefined ? { resumeAfterStep } : {}),
  });
}

/** The first `n` validation (else test) samples, the same every epoch: what the prediction grids show. */
async function fixedBatch(data: ExperimentData, n: number): Promise<{ inputs: Tensor; targets: Tensor } | null> {
  const split = data.tensors?.val ?? data.tensors?.test;
  if (split !== undefined) {
    const k = Math.min(n, split.inputs.shape[0]!);
    return { inputs: split.inputs.narrow(0, 0, k).clone().keep(), targets: split.targets.narrow(0, 0, k).clone().keep() };
  }
  const loader = data.val ?? data.test;
  if (loader === undefined) return null;
  loader.setEpoch(0);
  for await (const b of loader as AsyncIterable<{ inputs: Tensor; targets: Tensor }>) {
    const k = Math.min(n, b.inputs.shape[0]!);
    const out = { inputs: b.inputs.narrow(0, 0, k).clone().keep(), targets: b.targets.narrow(0, 0, k).clone().keep() };
    b.inputs.dispose();
    b.targets.dispose();
    return out;
  }
  return null;
}

/** Sets the final layer's bias to the log class prior of the training split (torch's generator left as it was). */
async function priorBias(exp: LoadedExperiment, data: ExperimentData, model: nn.Module): Promise<{ layer: string; bias: number[] } | null> {
  const rng = torch.getRngState().keep();
  try {
    const d = await experimentDoctor(exp, { data });
    try {
      return applyInitBias(model, d.ctx);
    } finally {
      await d.close();
    }
  } finally {
    torch.setRngState(rng);
    rng.dispose();
  }
}

/** Everything a run needs, built from a config (the model seeded from config.seed). */
export async function buildExperiment(exp: LoadedExperiment): Promise<{ data: ExperimentData; model: nn.Module }> {
  const cfg = exp.config;
  // libtorch's own default can be 1 on VMs that report no physical cores; PyTorch users expect all cores
  torch.setNumThreads(cfg.threads ?? availableParallelism());
  if (cfg.device !== 'cpu' && !torch.cuda.isAvailable()) throw new ConfigError(`device: '${cfg.device}' needs CUDA, which is not available on this machine; use device=cpu`);
  torch.manualSeed(cfg.seed);
  const data = await buildExperimentData(cfg);
  try {
    torch.manualSeed(cfg.seed);
    const model = await buildModel(cfg, { inputShape: data.inputShape, numClasses: data.classes.length }, exp.dir);
    model.to(cfg.device);
    return { data, model };
  } catch (e) {
    await data.close();
    throw e;
  }
}

export async function trainRun(configPath: string | null, overrides: readonly string[], opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  let run: RunFolder;
  let exp: LoadedExperiment;
  if (opts.resume !== undefined) {
    run = new RunFolder(opts.resume);
    if (overrides.length > 0) throw new ConfigError(`--resume continues ${run.dir} with the config saved there; overrides (${overrides.join(' ')}) cannot change it. Start a new run to change the config.`);
    exp = readRunConfig(run);
    if (!existsSync(run.lastCheckpoint)) throw new ConfigError(`${run.dir} has no checkpoints/last.ckpt to resume from (the run was killed before its first checkpoint): start it again`);
  } else {
    if (configPath === null) throw new ConfigError('give a config file (e.g. configs/fashion.yaml) or --resume <run folder>');
    exp = loadExperiment(configPath, overrides);
    run = RunFolder.create(exp.config.out_dir, exp.config.name);
  }
  const cfg = exp.config;
  const { data, model } = await buildExperiment(exp);
  if (opts.preflight !== undefined && opts.resume === undefined) {
    let report: DoctorReport;
    try {
      report = await runDoctor(exp, opts.preflight.checks, { data, ...(opts.preflight.onResult ? { onResult: opts.preflight.onResult } : {}) });
    } catch (e) {
      await data.close();
      throw e;
    }
    writeReport(run.path('doctor'), report, { title: `Sous doctor (pre-flight): ${cfg.name}` });
    if (report.counts.fail > 0 && !opts.preflight.force) {
      await data.close();
      const failed = report.results.filter((r) => r.verdict === 'fail');
      run.writeRecord({ id: run.id, name: cfg.name, status: 'failed', command: opts.command ?? 'train', started: new Date().toISOString(), ended: new Date().toISOString(), pid: process.pid, seed: cfg.seed, error: 'pre-flight doctor checks failed', doctor: failed.map((r) => r.id) });
      throw new DoctorFailedError(`the pre-flight checks found ${failed.length} problem(s) before training: ${failed.map((r) => `${r.id}: ${r.summary}${r.fix ? ` (fix: ${r.fix})` : ''}`).join('; ')}. The report is in ${run.path('doctor')}; --force trains anyway, --no-doctor skips the checks.`, report);
    }
  }
  let initBias: { layer: string; bias: number[] } | null = null;
  if (cfg.trainer.init_bias === 'prior' && opts.resume === undefined) initBias = await priorBias(exp, data, model);
  const optimizer = buildOptimizer(cfg, model);
  const loss = buildLoss(cfg, data.trainLabels, data.classes.length, cfg.device);
  const stepsPerEpoch = Math.ceil(data.train.length / cfg.trainer.accumulate);
  const schedule = buildSchedule(cfg, optimizer, stepsPerEpoch);

  const now = new Date().toISOString();
  let resumeStep = 0;
  if (opts.resume === undefined) {
    run.writeText('config.yaml', toYaml(exp.raw));
    run.writeText('overrides.yaml', toYaml(exp.overrides));
    const record: RunRecord = {
      id: run.id,
      name: cfg.name,
      status: 'running',
      command: opts.command ?? 'train',
      started: now,
      ended: null,
      pid: process.pid,
      seed: cfg.seed,
      choices: exp.choices,
      git: gitInfo(exp.dir),
      environment: environment(cfg.device),
      data: { name: cfg.data.name, task: cfg.task, classes: data.classes, inputShape: data.inputShape, sizes: data.sizes, hashes: data.hashes, stats: data.stats },
      model: { name: cfg.model.name, parameters: model.numParameters(), initBias },
    };
    run.writeRecord(record);
    run.touch('metrics.jsonl');
    run.touch('events.jsonl');
  } else {
    // a killed run may have logged steps past its checkpoint: those will be trained again
    const snap = loadCheckpoint(run.lastCheckpoint);
    const step = snap.json.step;
    resumeStep = step;
    disposeSnapshot(snap);
    run.truncate('metrics.jsonl', step);
    run.truncate('events.jsonl', step);
    run.updateRecord({ status: 'running', pid: process.pid, ended: null, resumed: [...((run.readRecord().resumed as string[] | undefined) ?? []), now] });
  }

  const every = cfg.trainer.checkpoint_every;
  const tracked = openTracking(run, cfg, exp, opts.resume !== undefined ? resumeStep : undefined);
  const doctorPage = run.path('doctor/doctor.html');
  if (tracked && opts.resume === undefined && existsSync(doctorPage)) tracked.artifact('doctor.html', doctorPage, 'report');
  const logger: Callback = {
    onBatchEnd: (_t, b) => {
      if (!b.stepped) return;
      run.append('metrics.jsonl', { kind: 'step', step: b.step, epoch: b.epoch, loss: b.loss, lr: b.lr });
      tracked?.log({ 'train/loss_step': b.loss, lr: b.lr }, { step: b.step, epoch: b.epoch });
      // the trainer writes a checkpoint right after this hook: what a resume keeps must be in the store first
      if (every !== null && b.step % every === 0) tracked?.flush();
    },
    onEpochEnd: (_t, e) => {
      run.append('metrics.jsonl', { kind: 'epoch', step: e.step, epoch: e.epoch, seconds: e.seconds, best: e.best, ...e.metrics });
      // system metrics beside the model's: memory and throughput, per epoch
      const system: Record<string, number> = { 'system/rss_mib': process.memoryUsage().rss / 2 ** 20, 'system/samples_per_s': e.seconds > 0 ? data.sizes.train / e.seconds : 0 };
      if (cfg.device.startsWith('cuda')) system['system/cuda_allocated_mib'] = torch.cuda.memoryAllocated() / 2 ** 20;
      tracked?.log({ ...e.metrics, 'epoch/seconds': e.seconds, ...system }, { step: e.step, epoch: e.epoch });
      tracked?.flush();
    },
    onEvent: (_t, e) => {
      run.append('events.jsonl', { ...e, time: new Date().toISOString() });
      tracked?.event(e.type, e.message, e, { step: e.step });
    },
  };
  const fixed = await fixedBatch(data, 16);
  const media = fixed === null ? [] : [new track.MediaCallback({ dir: run.dir, inputs: fixed.inputs, targets: fixed.targets, classes: data.classes, tracked })];
  const trainer = new Trainer({
    model, optimizer, loss,
    ...schedule,
    ...trainerOptions(cfg),
    maxEpochs: cfg.trainer.epochs,
    metrics: buildMetrics(cfg, data.classes.length),
    checkpointDir: run.checkpoints,
    callbacks: [logger, ...media, ...(opts.callbacks ?? [])],
    meta: { run: run.id },
  });
  opts.onTrainer?.(trainer);
  let result: FitResult | undefined;
  let test: Metrics | null = null;
  let confusion: number[][] | null = null;
  let inpainting: InpaintingReport | null = null;
  try {
    result = await trainer.fit(data.train, data.val, opts.resume !== undefined ? { resume: run.lastCheckpoint } : {});
    const testable = result.status !== 'interrupted' && result.status !== 'diverged' && data.test !== undefined && !opts.noTest;
    if (testable) {
      const k = data.classes.length;
      const testMetrics = cfg.task === 'inpainting'
        ? () => inpaintingMetrics({ test: true })
        : () => [...buildMetrics(cfg, k)(), new PerClassAccuracy(k, data.classes, { name: 'class_accuracy' }), new ConfusionMatrix(k)];
      const t = new Trainer({ model, optimizer, loss, maxEpochs: 0, checkpointDir: run.checkpoints, metrics: testMetrics, wheels: false });
      test = existsSync(run.bestWeights) ? await testWithWeights(t, data, run.bestWeights) : await t.test(data.test!, { weights: 'current' });
      const cm = t.lastEvaluation?.metrics.find((m) => m instanceof ConfusionMatrix) as ConfusionMatrix | undefined;
      confusion = cm?.matrix() ?? null;
      if (cfg.task === 'inpainting') inpainting = await inpaintingReport(cfg, data, model, opts.onReport);
      const extra = cfg.task === 'inpainting' ? { inpainting } : { confusion, classes: data.classes };
      run.writeText('test.json', `${JSON.stringify({ metrics: test, ...extra, weights: existsSync(run.bestWeights) ? 'best' : 'last' }, null, 2)}\n`);
    }
    run.updateRecord({ status: result.status, ended: new Date().toISOString(), result: { epochs: result.epochs, steps: result.steps, best: result.best, seconds: result.seconds, last: result.history.at(-1)?.metrics ?? null, test } });
    if (tracked) {
      if (test) tracked.log(test, { step: result.steps });
      if (inpainting) {
        const slug = (m: string) => m.replace(/ \(.*\)$/, '').replace(/\W+/g, '_');
        const rows: Record<string, number> = {};
        for (const m of inpainting.methods) for (const k of ['psnr', 'ssim', 'ssim_wang', 'frechet'] as const) if (m[k] !== undefined) rows[`report/${slug(m.method)}/${k}`] = m[k]!;
        tracked.log(rows, { step: result.steps });
      }
      tracked.summary({ best: result.best, epochs: result.epochs, steps: result.steps, ...(test ?? {}) });
      if (existsSync(run.bestWeights)) tracked.artifact('best.safetensors', run.bestWeights, 'weights');
      tracked.finish(result.status);
    }
  } catch (e) {
    run.updateRecord({ status: 'failed', ended: new Date().toISOString(), error: e instanceof Error ? e.message : String(e) });
    tracked?.finish('failed');
    throw e;
  } finally {
    fixed?.inputs.dispose();
    fixed?.targets.dispose();
    await data.close();
    optimizer.dispose();
  }
  return { run, result, test, confusion, inpainting, testWeights: existsSync(run.bestWeights) ? 'best' : 'last', classes: data.classes, config: cfg };
}

/** The test metrics of the weights in a safetensors file (the model is left with them). */
async function testWithWeights(t: Trainer, data: ExperimentData, weights: string): Promise<Metrics> {
  const w = torch.safetensors.load(weights);
  try {
    t.model.loadStateDict(w.tensors);
  } finally {
    for (const x of Object.values(w.tensors)) x.dispose();
  }
  return t.evaluate(data.test!, 'test');
}


