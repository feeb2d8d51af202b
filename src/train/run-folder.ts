// A run's folder on disk: the resolved config, the command-line overrides, run.json (seed, git,
// versions, device, data hashes, status, times, result), metrics.jsonl (one JSON record per step and
// per epoch), events.jsonl, and checkpoints/. run.json is replaced atomically; the JSON-lines files
// are appended, and a resumed run cuts them back to its checkpoint's step, so a killed run leaves no
// records of steps that will be trained again.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

export type RunStatus = 'running' | 'completed' | 'early_stopped' | 'max_steps' | 'diverged' | 'interrupted' | 'failed' | 'crashed';

export interface RunRecord {
  id: string;
  name: string;
  status: RunStatus;
  command: string;
  started: string;
  ended: string | null;
  pid: number;
  seed: number;
  [key: string]: unknown;
}

export class RunFolder {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** A new folder `<root>/<date>_<time>_<name>` (a suffix makes it unique). */
  static create(root: string, name: string, now = new Date()): RunFolder {
    const pad = (n: number) => String(n).padStart(2, '0');
    const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'run';
    mkdirSync(root, { recursive: true });
    for (let k = 0; ; k++) {
      const dir = join(root, `${stamp}_${safe}${k === 0 ? '' : `_${k}`}`);
      try {
        mkdirSync(dir);
        mkdirSync(join(dir, 'checkpoints'));
        return new RunFolder(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  get id(): string {
    return this.dir.split('/').pop()!;
  }
  get checkpoints(): string {
    return join(this.dir, 'checkpoints');
  }
  get lastCheckpoint(): string {
    return join(this.checkpoints, 'last.ckpt');
  }
  get bestWeights(): string {
    return join(this.checkpoints, 'best.safetensors');
  }
  path(name: string): string {
    return join(this.dir, name);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.path(name), (fd) => { writeSync(fd, text); });
  }

  readRecord(): RunRecord {
    const p = this.path('run.json');
    if (!existsSync(p)) throw new Error(`${this.dir} is not a run folder (no run.json): give a folder under runs/ made by \`sous train\``);
    return JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
  }

  writeRecord(record: RunRecord): void {
    this.writeText('run.json', `${JSON.stringify(record, null, 2)}\n`);
  }

  updateRecord(patch: Partial<RunRecord>): RunRecord {
    const r = { ...this.readRecord(), ...patch };
    this.writeRecord(r);
    return r;
  }

  append(name: 'metrics.jsonl' | 'events.jsonl', record: Record<string, unknown>): void {
    appendFileSync(this.path(name), `${JSON.stringify(record)}\n`);
  }

  /** The records of a JSON-lines file (a torn last line, from a kill, is left out). */
  read(name: 'metrics.jsonl' | 'events.jsonl'): Record<string, unknown>[] {
    const p = this.path(name);
    if (!existsSync(p)) return [];
    const out: Record<string, unknown>[] = [];
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch { /* a line cut by a kill */ }
    }
    return out;
  }

  /** Keeps only the records with step <= `step` (rewritten atomically): what a resume from `step` needs. */
  truncate(name: 'metrics.jsonl' | 'events.jsonl', step: number): void {
    const p = this.path(name);
    if (!existsSync(p)) return;
    const kept = this.read(name).filter((r) => typeof r.step !== 'number' || r.step <= step);
    this.writeText(name, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** Creates an empty file (metrics.jsonl...) if missing. */
  touch(name: string): void {
    if (!existsSync(this.path(name))) writeFileSync(this.path(name), '');
  }
}
