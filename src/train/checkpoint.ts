// Training state as one value (a Snapshot): model and optimizer tensors, and the rest as JSON
// (optimizer groups and counters, schedule, gradient scaler, RNG, data position, the trainer's own
// counters). The training wheels keep snapshots in memory; checkpoints are the same snapshots in a
// safetensors file, written atomically (temp file, fsync, rename), so a crash leaves the old
// checkpoint or the new one, never half of one.

import { existsSync } from 'node:fs';
import { torch, Tensor } from '../torch/index.js';
import type { Module } from '../nn/index.js';
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer.js';
import type { GradScaler, GradScalerState } from '../torch/amp.js';

export const CHECKPOINT_FORMAT = 'sous-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A learning-rate schedule as the trainer sees it (every scheduler in optim.lr_scheduler). */
export interface Schedule {
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}

/** The live objects a snapshot is taken from and restored into. */
export interface TrainingParts {
  model: Module;
  optimizer: Optimizer;
  scheduler?: Schedule | undefined;
  scaler?: GradScaler | undefined;
}

/** Where the data stream is: the next batch to train is batch `batchInEpoch` of epoch `epoch`. */
export interface Position {
  /** optimizer steps taken */
  step: number;
  epoch: number;
  batchInEpoch: number;
}

export interface SnapshotJson extends Position {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  optimizer: { param_groups: OptimizerStateDict['param_groups']; scalars: Record<string, Record<string, number | null>> };
  scheduler: Record<string, unknown> | null;
  scaler: GradScalerState | null;
  /** the trainer's own state: best metric, early-stopping counter, LR scale, epoch metrics so far... */
  trainer: Record<string, unknown>;
  /** free-form: the run id, the resolved config */
  meta: Record<string, unknown>;
}

/**
 * Training state. `tensors` are kept (outside scopes): `model.<key>`, `optim.<param>.<key>`,
 * `rng.cpu`, `rng.cuda`. Free them with disposeSnapshot().
 */
export interface Snapshot {
  tensors: Record<string, Tensor>;
  json: SnapshotJson;
}

export class CheckpointError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = 'CheckpointError';
  }
}

// JSON cannot hold Infinity or NaN (ReduceLROnPlateau's best starts at Infinity); tag them.
function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
  return v;
}
function reviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$number') return Number((v as { $number: string }).$number);
  }
  return v;
}
export function encodeJson(v: unknown): string {
  return JSON.stringify(v, replacer);
}
export function decodeJson<T>(s: string): T {
  return JSON.parse(s, reviver) as T;
}

/** Copies the whole training state (tensors cloned and kept). */
export function captureSnapshot(parts: TrainingParts, position: Position, trainer: Record<string, unknown>, meta: Record<string, unknown> = {}): Snapshot {
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number | null>> = {};
  let paramGroups: OptimizerStateDict['param_groups'] = [];
  // tidy: stateDict() makes temporaries (detached views) besides the clones that are kept
  torch.noGrad(() => torch.tidy(() => {
    for (const [k, t] of Object.entries(parts.model.stateDict())) {
      tensors[`model.${k}`] = t.clone().keep();
      t.dispose();
    }
    const sd = parts.optimizer.stateDict();
    paramGroups = sd.param_groups;
    for (const [i, st] of Object.entries(sd.state)) {
      for (const [k, v] of Object.entries(st)) {
        if (v instanceof Tensor) tensors[`optim.${i}.${k}`] = v.keep();
        else (scalars[i] ??= {})[k] = v;
      }
    }
    tensors['rng.cpu'] = torch.getRngState().keep();
  }));
  return {
    tensors,
    json: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      ...position,
      optimizer: { param_groups: paramGroups, scalars },
      scheduler: parts.scheduler?.stateDict() ?? null,
      scaler: parts.scaler?.stateDict() ?? null,
      trainer: structuredClone(trainer),
      meta: structuredClone(meta),
    },
  };
}

/** Puts a snapshot's state back into the live objects (and the global RNG). The snapshot stays valid. */
export function restoreSnapshot(parts: TrainingParts, snap: Snapshot): void {
  const model: Record<string, Tensor> = {};
  const state: Record<number, ParamState> = {};
  for (const [name, t] of Object.entries(snap.tensors)) {
    if (name.startsWith('model.')) model[name.slice(6)] = t;
    else if (name.startsWith('optim.')) {
      const rest = name.slice(6);
      const dot = rest.indexOf('.');
      (state[Number(rest.slice(0, dot))] ??= {})[rest.slice(dot + 1)] = t;
    }
  }
  for (const [i, sc] of Object.entries(snap.json.optimizer.scalars)) Object.assign((state[Number(i)] ??= {}), sc);
  parts.model.loadStateDict(model);
  parts.optimizer.loadStateDict({ state, param_groups: structuredClone(snap.json.optimizer.param_groups) });
  if (snap.json.scheduler !== null) {
    if (parts.scheduler === undefined) throw new CheckpointError('the checkpoint holds a learning-rate schedule, but this run has none: configure the same schedule to resume it');
    parts.scheduler.loadStateDict(structuredClone(snap.json.scheduler));
  } else if (parts.scheduler !== undefined) {
    throw new CheckpointError('the checkpoint holds no learning-rate schedule, but this run has one: configure the same schedule to resume it');
  }
  if (snap.json.scaler !== null && parts.scaler !== undefined) parts.scaler.loadStateDict(snap.json.scaler);
  const rng = snap.tensors['rng.cpu'];
  if (rng !== undefined) torch.setRngState(rng);
}

export function disposeSnapshot(snap: Snapshot): void {
  for (const t of Object.values(snap.tensors)) t.dispose();
  snap.tensors = {};
}

/** Writes a snapshot as a safetensors file, atomically. */
export function saveCheckpoint(path: string, snap: Snapshot): void {
  try {
    torch.safetensors.save(path, snap.tensors, { sous: encodeJson(snap.json) });
  } catch (e) {
    throw new CheckpointError(`could not write the checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a checkpoint written by saveCheckpoint (tensors kept; free them with disposeSnapshot). */
export function loadCheckpoint(path: string): Snapshot {
  if (!existsSync(path)) throw new CheckpointError(`no checkpoint at ${path}: give the path of a .ckpt file (or the run folder) written by a Sous run`);
  let contents;
  try {
    contents = torch.safetensors.load(path);
  } catch (e) {
    throw new CheckpointError(`${path} is not a readable checkpoint: ${(e as Error).message}`, { cause: e });
  }
  const raw = contents.metadata.sous;
  const fail = (why: string) => {
    for (const t of Object.values(contents.tensors)) t.dispose();
    return new CheckpointError(`${path} is not a Sous training checkpoint (${why}); weights-only files load with model.loadStateDict(torch.safetensors.load(path).tensors)`);
  };
  if (raw === undefined) throw fail("no 'sous' metadata");
  let json: SnapshotJson;
  try {
    json = decodeJson<SnapshotJson>(raw);
  } catch (e) {
    throw fail(`its metadata is not JSON: ${(e as Error).message}`);
  }
  if (json.format !== CHECKPOINT_FORMAT) throw fail(`format '${String(json.format)}'`);
  if (json.version > CHECKPOINT_VERSION) throw fail(`version ${json.version} is newer than this Sous reads (${CHECKPOINT_VERSION}); upgrade Sous`);
  for (const t of Object.values(contents.tensors)) t.keep();
  return { tensors: contents.tensors, json };
}

/** Writes only the model's weights (and metadata strings) as safetensors: what `best.safetensors` holds. */
export function saveWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  torch.tidy(() => torch.safetensors.save(path, model.stateDict(), metadata));
}
