// A finished (or interrupted) run folder opened again: its config, its record, and its model with
// the best weights (or the last checkpoint's). What `sous eval` and `sous predict` start from.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { torch } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import { parseYaml, validateConfig, ConfigError, type ConfigObject } from '../config/index.js';
import { RunFolder, loadCheckpoint, disposeSnapshot, type RunRecord } from '../train/index.js';
import { ExperimentConfig } from './schema.js';
import { buildModel } from './build.js';

export interface OpenRun {
  run: RunFolder;
  record: RunRecord;
  config: ExperimentConfig;
  model: nn.Module;
  classes: string[];
  inputShape: [number, number, number];
  stats: { mean: number[]; std: number[] } | null;
  /** which weights the model holds */
  weights: 'best' | 'last';
}

/** Opens a run folder (or a file inside one: a checkpoint's folder is walked up to the run). */
export async function openRun(path: string, opts: { weights?: 'best' | 'last' } = {}): Promise<OpenRun> {
  let dir = path;
  if (existsSync(dir) && statSync(dir).isFile()) dir = join(dir, '..');
  if (!existsSync(join(dir, 'run.json')) && existsSync(join(dir, '..', 'run.json'))) dir = join(dir, '..');
  if (!existsSync(join(dir, 'run.json'))) throw new ConfigError(`${path} is not a run folder (no run.json): give a folder under runs/ made by \`sous train\``);
  const run = new RunFolder(dir);
  const record = run.readRecord();
  const raw = parseYaml(readFileSync(run.path('config.yaml'), 'utf8'), run.path('config.yaml')) as ConfigObject;
  const config = validateConfig(raw, ExperimentConfig);
  const d = record.data as { classes: string[]; inputShape: [number, number, number]; stats: { mean: number[]; std: number[] } | null } | undefined;
  if (d === undefined) throw new ConfigError(`${run.path('run.json')} has no data section: the run did not get past its set-up`);
  torch.manualSeed(config.seed);
  const model = await buildModel(config, { inputShape: d.inputShape, numClasses: d.classes.length }, run.dir);
  model.to(config.device === 'cpu' || torch.cuda.isAvailable() ? config.device : 'cpu');
  const want = opts.weights ?? 'best';
  let weights: 'best' | 'last' = want;
  if (want === 'best' && !existsSync(run.bestWeights)) weights = 'last';
  if (weights === 'best') {
    const w = torch.safetensors.load(run.bestWeights);
    try {
      model.loadStateDict(w.tensors);
    } finally {
      for (const t of Object.values(w.tensors)) t.dispose();
    }
  } else {
    if (!existsSync(run.lastCheckpoint)) throw new ConfigError(`${run.dir} has no weights yet (no checkpoints/best.safetensors or last.ckpt): the run stopped before its first checkpoint`);
    const snap = loadCheckpoint(run.lastCheckpoint);
    try {
      const sd = Object.fromEntries(Object.entries(snap.tensors).filter(([k]) => k.startsWith('model.')).map(([k, t]) => [k.slice(6), t]));
      model.loadStateDict(sd);
    } finally {
      disposeSnapshot(snap);
    }
  }
  model.eval();
  return { run, record, config, model, classes: d.classes, inputShape: d.inputShape, stats: d.stats, weights };
}
