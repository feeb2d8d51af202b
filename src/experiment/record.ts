// Every job is recorded in the project's store ($SOUS_STORE: a SQLite file, default .sous/runs.db,
// or a postgres:// URL; SOUS_STORE=off for none): training runs, doctor runs and evaluations. A
// store that cannot open (the SQLite addon did not build, the server is down) costs a warning, not
// the job: the run folder has everything.

import { join } from 'node:path';
import * as track from '../track/index.js';
import { RunFolder, gitInfo, environment } from '../train/index.js';
import type { DoctorReport } from '../checks/index.js';
import type { LoadedExperiment } from './train.js';

/** Where the store is, or null when recording is off. */
export function storeLocation(): string | null {
  const where = process.env.SOUS_STORE ?? join('.sous', 'runs.db');
  return where === 'off' ? null : where;
}

/** track.init on the project's store, or null (with a warning on stderr) when it cannot be opened. */
export function openStoreRun(opts: Omit<track.InitOptions, 'store'> & { dir: string }): track.Run | null {
  const where = storeLocation();
  if (where === null) return null;
  try {
    return track.init({ ...opts, store: where });
  } catch (e) {
    process.stderr.write(`sous: the run is not recorded in the store ${track.maskUrl(where)} (${e instanceof Error ? e.message : String(e)}); its folder ${opts.dir} has everything\n`);
    return null;
  }
}

/** A doctor run in the store: the checks' verdicts as events, their counts as the summary, the HTML report as an artifact. */
export function recordDoctor(exp: LoadedExperiment, folder: RunFolder, report: DoctorReport, html: string): void {
  const run = openStoreRun({
    id: folder.id, name: `doctor-${exp.config.name}`, project: String(exp.raw.project ?? 'sous'), dir: folder.dir,
    config: exp.raw as Record<string, unknown>, seed: exp.config.seed, tags: ['doctor', ...exp.overrides],
    git: gitInfo(exp.dir), environment: environment(exp.config.device),
  });
  if (run === null) return;
  try {
    for (const r of report.results) run.event('check', `${r.id}: ${r.verdict}: ${r.summary}`, { id: r.id, verdict: r.verdict, summary: r.summary, seconds: r.seconds, ...(r.fix ? { fix: r.fix } : {}) });
    run.artifact('doctor.html', html, 'report');
    run.summary({ doctor: report.counts, seconds: report.seconds });
    run.finish('completed');
  } catch (e) {
    run.finish('failed');
    throw e;
  }
}

/** An evaluation in the store: the metrics at step 0 and as the summary; the config is the evaluated run's. */
export function recordEval(evaluated: { dir: string; id: string; name: string; config: Record<string, unknown>; seed: number }, what: { split: string; weights: string }, metrics: Record<string, number>, extra: Record<string, unknown> = {}): void {
  const folder = RunFolder.create(join(evaluated.dir, 'evals'), `eval-${what.split}`);
  const run = openStoreRun({
    // folder names are unique per folder only: the evaluated run's id keeps the store's ids unique
    id: `${evaluated.id}~${folder.id}`, name: `eval-${evaluated.name}`, project: String(evaluated.config.project ?? 'sous'), dir: folder.dir,
    config: { ...evaluated.config, eval: { run: evaluated.dir, run_id: evaluated.id, ...what } }, seed: evaluated.seed, tags: ['eval', `of:${evaluated.id}`],
    environment: environment(String(evaluated.config.device ?? 'cpu')),
  });
  folder.writeText('eval.json', `${JSON.stringify({ run: evaluated.dir, ...what, metrics, ...extra }, null, 2)}\n`);
  if (run === null) return;
  run.log(metrics, { step: 0 });
  run.summary({ ...metrics, ...extra });
  run.finish('completed');
}
