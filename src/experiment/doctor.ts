// The doctor on an experiment: a DoctorContext from a config's data, model, optimizer and loss, the
// checks run cheap first, and the report written into a run folder (doctor.json, doctor.html, PNGs).

import { torch, type Tensor } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import { contextFromTensors } from '../checks/context.js';
import { runChecks, type DoctorReport, type RunChecksOptions } from '../checks/runner.js';
import type { Check, DoctorContext, SplitTensors } from '../checks/types.js';
import type { BatchLoader } from '../train/index.js';
import { buildExperimentData, type ExperimentData } from './data.js';
import { splitMaskChannel } from '../inpaint/index.js';
import { buildModel, buildOptimizer, buildLoss } from './build.js';
import type { LoadedExperiment } from './train.js';

/** Up to `limit` samples of a loader as one pair of tensors (for data sets that do not live in memory). */
async function gather(loader: BatchLoader, limit: number): Promise<SplitTensors> {
  const xs: Tensor[] = [];
  const ys: Tensor[] = [];
  let n = 0;
  loader.setEpoch(0);
  for await (const b of loader as AsyncIterable<{ inputs: Tensor; targets: Tensor }>) {
    xs.push(b.inputs);
    ys.push(b.targets);
    n += b.inputs.shape[0]!;
    if (n >= limit) break;
  }
  const out = torch.tidy(() => ({ inputs: torch.cat(xs).narrow(0, 0, Math.min(n, limit)).keep(), targets: torch.cat(ys).narrow(0, 0, Math.min(n, limit)).keep() }));
  for (const t of [...xs, ...ys]) t.dispose();
  return out;
}

export interface ExperimentDoctor {
  ctx: DoctorContext;
  data: ExperimentData;
  close(): Promise<void>;
}

/** Builds the doctor's context for a loaded experiment (its data, a fresh model, its optimizer and loss). */
export async function experimentDoctor(exp: LoadedExperiment, opts: { sample?: number; data?: ExperimentData } = {}): Promise<ExperimentDoctor> {
  const cfg = exp.config;
  torch.manualSeed(cfg.seed);
  // with the caller's data (sous train runs the cheap checks on the data it trains on), the caller closes it
  const ownData = opts.data === undefined;
  const data = opts.data ?? await buildExperimentData(cfg);
  const owned: Tensor[] = [];
  try {
    let splits = data.tensors;
    if (splits === undefined) {
      const limit = opts.sample ?? 2000;
      const train = await gather(data.train, limit);
      const val = data.val ? await gather(data.val, limit) : undefined;
      const test = data.test ? await gather(data.test, limit) : undefined;
      owned.push(train.inputs, train.targets, ...(val ? [val.inputs, val.targets] : []), ...(test ? [test.inputs, test.targets] : []));
      splits = { train, ...(val ? { val } : {}), ...(test ? { test } : {}), raw: { train: train.inputs, test: (test ?? train).inputs } };
    }
    const shape = { inputShape: data.inputShape, numClasses: data.classes.length };
    const loss = buildLoss(cfg, data.trainLabels, data.classes.length, cfg.device);
    const ctx = await contextFromTensors({
      makeModel: async () => (await buildModel(cfg, shape, exp.dir)).to(cfg.device) as nn.Module,
      makeOptimizer: (m) => buildOptimizer(cfg, m),
      loss,
      train: splits.train,
      ...(splits.val ? { val: splits.val } : {}),
      ...(splits.test ? { test: splits.test } : {}),
      raw: splits.raw,
      ...(cfg.task === 'inpainting'
        ? { task: 'regression' as const, comparedTargets: (t: Tensor) => splitMaskChannel(t).images }
        : { task: 'classification' as const }),
      classes: data.classes,
      device: cfg.device,
      seed: cfg.seed,
    });
    return {
      ctx, data,
      async close() {
        for (const t of owned) t.dispose();
        ctx.model.dispose();
        if (ownData) await data.close();
      },
    };
  } catch (e) {
    for (const t of owned) t.dispose();
    if (ownData) await data.close();
    throw e;
  }
}

export async function runDoctor(exp: LoadedExperiment, checks: readonly Check[], opts: RunChecksOptions & { sample?: number; data?: ExperimentData } = {}): Promise<DoctorReport> {
  // the doctor must not change what training draws from torch's generator afterwards
  const rng = torch.getRngState().keep();
  try {
    const d = await experimentDoctor(exp, { ...(opts.sample !== undefined ? { sample: opts.sample } : {}), ...(opts.data ? { data: opts.data } : {}) });
    try {
      return await runChecks(checks, d.ctx, opts);
    } finally {
      await d.close();
    }
  } finally {
    torch.setRngState(rng);
    rng.dispose();
  }
}

export interface DoctorOptions {
  /** config overrides (with a config path) */
  overrides?: readonly string[];
  /** only these check ids */
  only?: readonly string[];
  /** only the cheap checks */
  cheap?: boolean;
  /** also write doctor.json, doctor.html and the figures into this folder */
  out?: string;
}

/**
 * The doctor from TypeScript: `await doctor('configs/fashion.yaml')` on a config, or
 * `await doctor(ctx)` on a context from checks.contextFromTensors (your own model, loss and data).
 */
export async function doctor(target: string | DoctorContext, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const { ALL_CHECKS, writeReport } = await import('../checks/index.js');
  const run = { ...(opts.cheap ? { costs: ['cheap'] as const } : {}), ...(opts.only ? { only: opts.only } : {}) };
  let report: DoctorReport;
  if (typeof target === 'string') {
    const { loadExperiment } = await import('./train.js');
    report = await runDoctor(loadExperiment(target, opts.overrides ?? []), ALL_CHECKS, run);
  } else {
    report = await runChecks(ALL_CHECKS, target, run);
  }
  if (opts.out !== undefined) writeReport(opts.out, report, { title: 'Sous doctor report' });
  return report;
}
