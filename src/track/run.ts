// A tracked run, with an API like W&B's: `const run = track.init({ project, config })`, then
// `run.log({ 'train/loss': 0.4 }, { step })`, `run.event(...)`, `run.summary(...)`,
// `run.artifact(...)` and `run.finish()`. Metrics and events are buffered and written in one
// transaction every `flushEvery` records or `flushMs` milliseconds (checked on each log, and by a
// timer when logging stops), and on finish; each write sets the run's heartbeat. If the process exits
// without finish(), an exit hook flushes and finishes the run ('completed' on exit code 0, else
// 'failed'); a killed process leaves the run 'running' until RunStore.markCrashed() notices.
//
// Metric values must be numbers: NaN is stored as NULL and read back as NaN (a diverged loss is worth
// recording); ±Infinity are stored as they are; anything else (strings, booleans, bigints, null,
// undefined) is a TypeError naming the key.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { nowSeconds, RunStore, type ArtifactRow, type EventRow, type MetricRow, type RunStatus } from './store.js';

export interface InitOptions {
  /**
   * continue the run with this `id` if the store has it (a training resumed from a checkpoint taken
   * at this step): later metrics and events are dropped and logging goes on from there
   */
  resumeAfterStep?: number;
  /** groups runs (default 'default') */
  project?: string;
  /** a display name (default: the id) */
  name?: string;
  /** the run's id (default: 8 random base-36 characters); it must not be in the store yet */
  id?: string;
  /** hyperparameters, any JSON-serializable object */
  config?: Record<string, unknown>;
  tags?: readonly string[];
  /** the run's folder: relative artifact paths resolve against it */
  dir?: string;
  /**
   * a store to write to, or where it is: a SQLite file (default .sous/runs.db) or a postgres:// URL;
   * a location is opened and closed by the run
   */
  store?: string | RunStore;
  seed?: number;
  git?: { commit: string | null; dirty: boolean | null };
  environment?: unknown;
  /** the data set's name, sizes, hashes... */
  data?: unknown;
  /** write when this many metric and event records are buffered (default 1000) */
  flushEvery?: number;
  /** write buffered records at least this often, in milliseconds (default 1000) */
  flushMs?: number;
  /** set the heartbeat this often even when nothing is logged, in milliseconds (default 30 000; 0: never) */
  heartbeatMs?: number;
}

export interface LogOptions {
  /** a non-negative integer (default: one more than the last step logged, starting at 0) */
  step?: number;
  epoch?: number;
}

const KEY_MAX = 256;

function checkKey(key: string, what: string): void {
  if (key === '') throw new TypeError(`${what}: a metric key must be a non-empty string`);
  if (key.length > KEY_MAX) throw new TypeError(`${what}: metric key '${key.slice(0, 40)}...' is longer than ${KEY_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new TypeError(`${what}: metric key ${JSON.stringify(key)} has control characters`);
}

function newId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(8)].map((b) => alphabet[b % 36]).join('');
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

// one exit hook for all unfinished runs of this process
const active = new Set<Run>();
let hooked = false;
function onExit(code: number): void {
  for (const run of [...active]) {
    try {
      run.finish(code === 0 ? 'completed' : 'failed');
    } catch { /* the store may be gone: nothing more can be done at exit */ }
  }
}

export class Run {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly dir: string | undefined;
  readonly store: RunStore;
  private readonly ownsStore: boolean;
  private readonly flushEvery: number;
  private readonly flushMs: number;
  private metricsBuf: MetricRow[] = [];
  private eventsBuf: EventRow[] = [];
  private lastFlush = Date.now();
  private nextStep = 0;
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private readonly last = new Map<string, number>();
  private explicitSummary: Record<string, unknown> = {};
  private finished: RunStatus | null = null;

  constructor(opts: InitOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('track.init: options must be an object');
    for (const [k, v] of [['project', opts.project], ['name', opts.name], ['id', opts.id], ['dir', opts.dir]] as const) {
      if (v !== undefined && (typeof v !== 'string' || v === '')) throw new TypeError(`track.init: ${k} must be a non-empty string (got ${typeof v === 'string' ? "''" : typeof v})`);
    }
    if (opts.config !== undefined && (opts.config === null || typeof opts.config !== 'object' || Array.isArray(opts.config))) throw new TypeError('track.init: config must be a plain object');
    if (opts.tags !== undefined && (!Array.isArray(opts.tags) || opts.tags.some((t) => typeof t !== 'string'))) throw new TypeError('track.init: tags must be an array of strings');
    if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) throw new TypeError(`track.init: seed must be an integer (got ${opts.seed})`);
    this.flushEvery = opts.flushEvery ?? 1000;
    this.flushMs = opts.flushMs ?? 1000;
    if (!Number.isSafeInteger(this.flushEvery) || this.flushEvery < 1) throw new TypeError(`track.init: flushEvery must be a positive integer (got ${opts.flushEvery})`);
    if (!(this.flushMs >= 0)) throw new TypeError(`track.init: flushMs must be >= 0 (got ${opts.flushMs})`);
    this.id = opts.id ?? newId();
    this.name = opts.name ?? this.id;
    this.project = opts.project ?? 'default';
    this.dir = opts.dir === undefined ? undefined : resolve(opts.dir);
    this.ownsStore = !(opts.store instanceof RunStore);
    this.store = opts.store instanceof RunStore ? opts.store : RunStore.open(opts.store);
    try {
      if (opts.resumeAfterStep !== undefined && this.store.getRun(this.id) !== undefined) {
        this.store.resumeRun(this.id, opts.resumeAfterStep);
        this.nextStep = opts.resumeAfterStep + 1;
      } else this.store.createRun({
        id: this.id, name: this.name, project: this.project, config: opts.config ?? {}, tags: opts.tags ?? [],
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.git !== undefined ? { git: opts.git } : {}),
        ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
        ...(opts.data !== undefined ? { data: opts.data } : {}),
      });
    } catch (e) {
      if (this.ownsStore) this.store.close();
      throw e;
    }
    const heartbeatMs = opts.heartbeatMs ?? 30_000;
    if (heartbeatMs > 0) {
      this.beat = setInterval(() => { if (this.store.isOpen) this.flush(); }, heartbeatMs);
      this.beat.unref();
    }
    active.add(this);
    if (!hooked) {
      hooked = true;
      process.on('exit', onExit);
    }
  }

  get status(): RunStatus {
    return this.finished ?? 'running';
  }

  private checkOpen(what: string): void {
    if (this.finished !== null) throw new Error(`run.${what}: run ${this.id} has finished (${this.finished}); start another with track.init`);
  }

  /** Records metrics at a step: `run.log({ 'train/loss': 0.4, lr: 1e-3 }, { step: 10, epoch: 0 })`. */
  log(metrics: Record<string, number>, opts: LogOptions = {}): void {
    this.checkOpen('log');
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics) || metrics instanceof Map) {
      throw new TypeError(`run.log: metrics must be a plain object of { key: number } (got ${metrics === null ? 'null' : Array.isArray(metrics) ? 'an array' : metrics instanceof Map ? 'a Map: use Object.fromEntries(map)' : typeof metrics})`);
    }
    if (Object.getOwnPropertySymbols(metrics).length > 0) throw new TypeError('run.log: metric keys must be strings (got a symbol key)');
    const step = opts.step ?? this.nextStep;
    if (!Number.isSafeInteger(step) || step < 0) throw new TypeError(`run.log: step must be a non-negative integer (got ${String(step)})`);
    const epoch = opts.epoch ?? null;
    if (epoch !== null && (typeof epoch !== 'number' || !Number.isFinite(epoch))) throw new TypeError(`run.log: epoch must be a finite number (got ${String(epoch)})`);
    const entries = Object.entries(metrics);
    for (const [key, value] of entries) {
      checkKey(key, 'run.log');
      if (typeof value !== 'number') throw new TypeError(`run.log: metric '${key}' must be a number (got ${value === null ? 'null' : typeof value}${typeof value === 'string' ? ` '${value}'` : ''})`);
    }
    const wallTime = nowSeconds();
    for (const [key, value] of entries) {
      this.metricsBuf.push({ step, epoch, key, value, wallTime });
      this.last.set(key, value);
    }
    this.nextStep = step + 1;
    this.afterBuffer();
  }

  /** Records an event (an early stop, a checkpoint, a warning), with optional JSON data. */
  event(type: string, message: string, data?: unknown, opts: { step?: number } = {}): void {
    this.checkOpen('event');
    if (typeof type !== 'string' || type === '') throw new TypeError('run.event: type must be a non-empty string');
    if (typeof message !== 'string') throw new TypeError(`run.event: message must be a string (got ${typeof message})`);
    if (data !== undefined) {
      try {
        if (JSON.stringify(data) === undefined) throw new Error(`got ${typeof data}`);
      } catch (e) {
        throw new TypeError(`run.event: data must be JSON-serializable: ${(e as Error).message}`);
      }
    }
    const step = opts.step ?? (this.nextStep > 0 ? this.nextStep - 1 : null);
    if (step !== null && (!Number.isSafeInteger(step) || step < 0)) throw new TypeError(`run.event: step must be a non-negative integer (got ${String(step)})`);
    this.eventsBuf.push({ step, type, message, data, time: nowSeconds() });
    this.afterBuffer();
  }

  private afterBuffer(): void {
    if (this.metricsBuf.length + this.eventsBuf.length >= this.flushEvery || Date.now() - this.lastFlush >= this.flushMs) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.finished === null && this.store.isOpen) this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes the buffered records (one transaction) and sets the heartbeat. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const metrics = this.metricsBuf;
    const events = this.eventsBuf;
    this.metricsBuf = [];
    this.eventsBuf = [];
    this.lastFlush = Date.now();
    try {
      this.store.write(this.id, metrics, events);
    } catch (e) {
      // keep the records for the next try
      this.metricsBuf = metrics.concat(this.metricsBuf);
      this.eventsBuf = events.concat(this.eventsBuf);
      throw e;
    }
  }

  /**
   * Merges values into the run's summary (the final numbers a run list shows). At finish, metrics
   * the summary does not name get their last logged value, as in W&B.
   */
  summary(values: Record<string, unknown>): void {
    this.checkOpen('summary');
    if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new TypeError('run.summary: values must be a plain object');
    const merged = { ...this.explicitSummary, ...values };
    this.store.updateRun(this.id, { summary: { ...Object.fromEntries(this.last), ...merged } });
    this.explicitSummary = merged;
  }

  /**
   * Records a file (or folder) the run made: its size and, for a file, its SHA-256. A relative path
   * resolves against the run's dir (else the working directory).
   */
  artifact(name: string, path: string, kind = 'file'): ArtifactRow {
    this.checkOpen('artifact');
    if (typeof name !== 'string' || name === '') throw new TypeError('run.artifact: name must be a non-empty string');
    if (typeof path !== 'string' || path === '') throw new TypeError('run.artifact: path must be a non-empty string');
    if (typeof kind !== 'string' || kind === '') throw new TypeError('run.artifact: kind must be a non-empty string');
    const full = isAbsolute(path) ? path : resolve(this.dir ?? process.cwd(), path);
    let st;
    try {
      st = statSync(full);
    } catch (e) {
      throw new Error(`run.artifact: cannot record '${name}': ${full} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`);
    }
    const row: ArtifactRow = { name, path: full, kind, bytes: st.isFile() ? st.size : null, sha256: st.isFile() ? sha256File(full) : null, created: nowSeconds() };
    this.store.addArtifact(this.id, row);
    return row;
  }

  /** Flushes, sets the final status, end time and summary; closes the store if the run opened it. A second call does nothing. */
  finish(status: RunStatus = 'completed'): void {
    if (this.finished !== null) return;
    if (typeof status !== 'string' || status === 'running') throw new TypeError(`run.finish: status must be a final status such as 'completed' or 'failed' (got ${String(status)})`);
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.beat !== undefined) clearInterval(this.beat);
    this.timer = undefined;
    this.beat = undefined;
    active.delete(this);
    try {
      this.flush();
      this.store.updateRun(this.id, { status, ended: nowSeconds(), summary: { ...Object.fromEntries(this.last), ...this.explicitSummary } });
      this.finished = status;
    } finally {
      if (this.finished === null) active.add(this); // a failed write: the exit hook tries again
      else if (this.ownsStore) this.store.close();
    }
  }
}

/** Starts a run in the store (default .sous/runs.db; or a postgres:// URL): `const run = track.init({ project, config })`. */
export function init(opts: InitOptions = {}): Run {
  return new Run(opts);
}
