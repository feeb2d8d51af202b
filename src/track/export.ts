// Export of a Sous run folder (src/train/run-folder.ts) to a TensorBoard event file: per-step loss and
// learning rate, every numeric epoch metric, and the resolved config as HParams with the final
// metrics. metrics.jsonl records carry no clock time, so wall times are spread over the steps
// between run.json's `started` and `ended`; good enough for TensorBoard's relative-time axis.

import { PNG } from 'pngjs';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RunFolder, type RunStatus } from '../train/run-folder.js';
import type { HParamValue } from './hparams.js';
import { SessionStatus } from './hparams.js';
import { EventFileWriter } from './tensorboard.js';
import { confusionPng, parseConfusion } from './confusion.js';

// marks the exporter's own files, so a re-export replaces them instead of doubling every curve
const SUFFIX = '.sous';
const OWN_FILE = /^events\.out\.tfevents\..*\.sous$/;

export interface ExportResult {
  file: string;
  /** scalar events written */
  scalars: number;
  hparams: Record<string, HParamValue>;
  metrics: Record<string, number>;
}

/** Nested config keys joined with dots; arrays become JSON strings (HParams values are scalars); nulls are left out. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, HParamValue> = {}): Record<string, HParamValue> {
  if (value === null || value === undefined) return out;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    if (prefix !== '') out[prefix] = value;
  } else if (Array.isArray(value)) {
    if (prefix !== '') out[prefix] = JSON.stringify(value);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flattenConfig(v, prefix === '' ? k : `${prefix}.${k}`, out);
  }
  return out;
}

const STATUS: Record<RunStatus, SessionStatus> = {
  running: SessionStatus.RUNNING,
  completed: SessionStatus.SUCCESS,
  early_stopped: SessionStatus.SUCCESS,
  max_steps: SessionStatus.SUCCESS,
  diverged: SessionStatus.FAILURE,
  failed: SessionStatus.FAILURE,
  crashed: SessionStatus.FAILURE,
  interrupted: SessionStatus.UNKNOWN,
};

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const seconds = (iso: unknown): number | undefined => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? undefined : t / 1000;
};

/**
 * The run's media (src/track/media.ts): prediction grids as images, parameter histograms (from their
 * bins: each bin's centre repeated by its count, which TensorBoard re-bins) at each epoch's step, and
 * the validation confusion matrices (confusion.jsonl) as heatmap images, `confusion_matrix/val`.
 */
function media(run: RunFolder, writer: EventFileWriter, wallTime: (step: number) => number | undefined): void {
  const dir = run.path('media');
  if (!existsSync(dir)) return;
  const epochSteps = new Map<number, number>();
  const histPath = join(dir, 'histograms.jsonl');
  if (existsSync(histPath)) {
    for (const line of readFileSync(histPath, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let h: { epoch: number; step: number; name: string; min: number; max: number; counts: number[] };
      try {
        h = JSON.parse(line);
      } catch {
        continue; // a line cut by a kill
      }
      epochSteps.set(h.epoch, h.step);
      const width = (h.max - h.min) / h.counts.length;
      const values: number[] = [];
      h.counts.forEach((c, i) => { for (let k = 0; k < c; k++) values.push(h.min + (i + 0.5) * width); });
      writer.histogram(h.name.startsWith('grad/') ? `gradients/${h.name.slice(5)}` : `weights/${h.name}`, values, h.step, 'exponential', wallTime(h.step));
    }
  }
  for (const name of readdirSync(dir).sort()) {
    const m = /^(predictions|reconstructions)-epoch-(\d+)\.png$/.exec(name);
    if (!m) continue;
    const bytes = readFileSync(join(dir, name));
    const png = PNG.sync.read(bytes);
    const step = epochSteps.get(Number(m[2]) - 1) ?? Number(m[2]);
    writer.image(m[1]!, bytes, png.height, png.width, 4, step, wallTime(step));
  }
  const confusionPath = join(dir, 'confusion.jsonl');
  if (existsSync(confusionPath)) {
    for (const line of readFileSync(confusionPath, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let record;
      try {
        record = parseConfusion(JSON.parse(line));
      } catch {
        continue; // a line cut by a kill
      }
      if (record === undefined) continue;
      const bytes = confusionPng(record);
      const png = PNG.sync.read(Buffer.from(bytes));
      writer.image(`confusion_matrix/${record.split}`, bytes, png.height, png.width, 4, record.step, wallTime(record.step));
    }
  }
}

/**
 * Writes `<outDir>/events.out.tfevents.*.sous` (outDir defaults to `<runDir>/tensorboard`), replacing
 * an earlier export there. Scalars: step records give `train/loss_step` and `lr`; epoch records give
 * every numeric key (`epoch`, `seconds`, `train/loss`, `val/accuracy`...) at the record's step.
 * HParams: config.yaml flattened; metrics: the last epoch record's metrics plus run.json's test metrics.
 */
export function exportRunToTensorBoard(runDir: string, outDir?: string): ExportResult {
  const run = new RunFolder(runDir);
  const record = run.readRecord();
  const records = run.read('metrics.jsonl').filter((r) => num(r.step));
  const configPath = run.path('config.yaml');
  const hparams = existsSync(configPath) ? flattenConfig(parse(readFileSync(configPath, 'utf8'))) : {};

  const out = outDir ?? run.path('tensorboard');
  if (existsSync(out)) for (const name of readdirSync(out)) if (OWN_FILE.test(name)) rmSync(join(out, name));

  const lastStep = Math.max(0, ...records.map((r) => r.step as number));
  const start = seconds(record.started);
  const end = seconds(record.ended) ?? Date.now() / 1000;
  const wallTime = (step: number) => (start === undefined ? undefined : start + (lastStep === 0 ? 0 : ((end - start) * step) / lastStep));

  const writer = new EventFileWriter(out, { filenameSuffix: SUFFIX });
  let scalars = 0;
  const metrics: Record<string, number> = {};
  try {
    for (const r of records) {
      const step = r.step as number;
      const put = (tag: string, v: unknown) => {
        if (!num(v)) return;
        writer.scalar(tag, v, step, wallTime(step));
        scalars++;
      };
      if (r.kind === 'step') {
        put('train/loss_step', r.loss);
        put('lr', r.lr);
      } else if (r.kind === 'epoch') {
        for (const [k, v] of Object.entries(r)) if (k !== 'kind' && k !== 'step') put(k, v);
        for (const k of Object.keys(metrics)) delete metrics[k];
        for (const [k, v] of Object.entries(r)) if (num(v) && !['kind', 'step', 'epoch', 'seconds'].includes(k)) metrics[k] = v;
      }
    }
    media(run, writer, wallTime);
    // test metrics exist only in run.json: log them at the last step so the HParams table finds them
    const result = record.result as { test?: Record<string, unknown> | null } | undefined;
    for (const [k, v] of Object.entries(result?.test ?? {})) {
      if (!num(v)) continue;
      writer.scalar(k, v, lastStep, wallTime(lastStep));
      scalars++;
      metrics[k] = v;
    }
    writer.hparams(hparams, metrics, {
      step: lastStep,
      status: STATUS[record.status] ?? SessionStatus.UNKNOWN,
      startTimeSecs: start,
      endTimeSecs: seconds(record.ended),
    });
  } finally {
    writer.close();
  }
  return { file: writer.path, scalars, hparams, metrics };
}
