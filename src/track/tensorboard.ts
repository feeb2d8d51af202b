// TensorBoard event files: a writer (EventFileWriter) and a checking reader (readEventFile). A file is
// a sequence of TFRecords, each an Event proto; the first holds only file_version "brain.Event:2",
// which TensorBoard uses to recognise the format. Records are written straight to a kept file
// descriptor (no buffering in this process), so a crash loses at most what the OS had not yet
// written; flush() fsyncs for durability.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { decodeEvent, encodeEvent, type SummaryValue, type TensorBoardEvent } from './events.js';
import { histogram, type HistogramBins } from './histogram.js';
import {
  EXPERIMENT_TAG, experimentContent, HPARAMS_PLUGIN, type HParamValue, SESSION_END_TAG, SESSION_START_TAG,
  sessionEndContent, sessionStartContent, SessionStatus,
} from './hparams.js';
import { frameRecord, readRecords } from './tfrecord.js';

export const FILE_VERSION = 'brain.Event:2';

export interface EventFileWriterOptions {
  /** appended to the file name, e.g. '.sous' (TensorBoard reads any name containing "tfevents") */
  filenameSuffix?: string;
}

export interface HParamsOptions {
  /** the step the metric scalars are written at (default: the highest step this writer has written) */
  step?: number;
  /** SessionEndInfo status (default SUCCESS) */
  status?: SessionStatus;
  /** sessions with the same group name are aggregated into one table row (default: one row per run) */
  groupName?: string;
  startTimeSecs?: number;
  endTimeSecs?: number;
  /** also write an Experiment summary declaring exactly these hparams and metrics (see hparams.ts for why not by default) */
  experiment?: boolean;
}

// distinguishes files opened by one process within the same second
let fileCounter = 0;

export class EventFileWriter implements Disposable {
  readonly path: string;
  private fd: number | null;
  private maxStep = 0;
  private readonly scalarTags = new Set<string>();

  constructor(dir: string, opts: EventFileWriterOptions = {}) {
    mkdirSync(dir, { recursive: true });
    const stem = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`;
    for (;;) {
      const path = join(dir, `${stem}.${fileCounter++}${opts.filenameSuffix ?? ''}`);
      try {
        this.fd = openSync(path, 'ax'); // exclusive: never append to another writer's file
        this.path = path;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    this.writeEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: FILE_VERSION, values: [] });
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** A scalar, stored as float32 (Summary.Value.simple_value). */
  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.scalarTags.add(tag);
    this.summary([{ tag, simpleValue: value }], step, wallTime);
  }

  /** An already-encoded image (PNG bytes); `channels` is the colorspace: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  image(tag: string, png: Uint8Array, height: number, width: number, channels: number, step: number, wallTime?: number): void {
    if (![1, 2, 3, 4].includes(channels)) throw new Error(`EventFileWriter.image('${tag}'): channels must be 1..4, got ${channels}`);
    for (const [name, n] of [['height', height], ['width', width]] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new Error(`EventFileWriter.image('${tag}'): ${name} must be a positive integer, got ${n}`);
    }
    this.summary([{ tag, image: { height, width, colorspace: channels, encoded: png } }], step, wallTime);
  }

  /** A histogram of `values` (see histogram.ts for the 'exponential' TF-style buckets and linear bins). */
  histogram(tag: string, values: ArrayLike<number>, step: number, bins: HistogramBins = 'exponential', wallTime?: number): void {
    this.summary([{ tag, histo: histogram(values, bins) }], step, wallTime);
  }

  /**
   * One run's hyperparameters and final metrics for the HParams dashboard: session start and end
   * summaries, plus each metric as a scalar at `opts.step` unless this writer already wrote that tag
   * (the table shows a metric tag's last value, so the training curve itself serves).
   */
  hparams(hparams: Record<string, HParamValue>, metrics: Record<string, number>, opts: HParamsOptions = {}): void {
    for (const [k, v] of Object.entries(hparams)) {
      if (!['number', 'string', 'boolean'].includes(typeof v)) throw new Error(`EventFileWriter.hparams: '${k}' is ${v === null ? 'null' : typeof v}; give a number, string or boolean`);
    }
    const step = opts.step ?? this.maxStep;
    const plugin = (tag: string, content: Uint8Array): SummaryValue => ({ tag, plugin: { name: HPARAMS_PLUGIN, content } });
    if (opts.experiment) this.summary([plugin(EXPERIMENT_TAG, experimentContent(hparams, Object.keys(metrics), opts.startTimeSecs))], 0);
    this.summary([plugin(SESSION_START_TAG, sessionStartContent(hparams, { groupName: opts.groupName, startTimeSecs: opts.startTimeSecs }))], 0);
    for (const [tag, value] of Object.entries(metrics)) if (!this.scalarTags.has(tag)) this.scalar(tag, value, step);
    this.summary([plugin(SESSION_END_TAG, sessionEndContent(opts.status ?? SessionStatus.SUCCESS, opts.endTimeSecs))], step);
  }

  /** Forces what was written to disk. */
  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  /** Flushes and closes; closing again does nothing. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private summary(values: SummaryValue[], step: number, wallTime?: number): void {
    if (!Number.isSafeInteger(step)) throw new Error(`EventFileWriter: step must be an integer, got ${step}`);
    for (const v of values) if (typeof v.tag !== 'string' || v.tag === '') throw new Error('EventFileWriter: a summary needs a non-empty tag');
    this.writeEvent({ wallTime: wallTime ?? Date.now() / 1000, step, values });
    if (step > this.maxStep) this.maxStep = step;
  }

  private writeEvent(e: Omit<TensorBoardEvent, 'offset'>): void {
    if (this.fd === null) throw new Error(`EventFileWriter: ${this.path} is closed`);
    const rec = frameRecord(encodeEvent(e));
    // writeSync may write less than asked; loop so a record is never torn by a short write
    for (let done = 0; done < rec.length;) done += writeSync(this.fd, rec, done, rec.length - done);
  }
}

/** Every event in an event file, in order; throws, naming the byte offset, on a CRC mismatch, a truncated record or an undecodable event. */
export function readEventFile(path: string): TensorBoardEvent[] {
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const events: TensorBoardEvent[] = [];
  for (const { offset, payload } of readRecords(bytes, path)) {
    try {
      events.push(decodeEvent(payload, offset));
    } catch (e) {
      throw new Error(`${path}: the record at byte ${offset} is not a valid Event: ${(e as Error).message}`);
    }
  }
  return events;
}
