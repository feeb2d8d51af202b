// The board's JSON API over a read-only RunStore: query parsing (a malformed value is a 400 that
// names the parameter and what it allows), the runs list, one run, its downsampled metrics, a
// comparison of several runs with their config diff, and the new points since a rowid (for /api/live).

import type { RunStore, RunInfo, ListRunsOptions, ArtifactRow } from '../track/index.js';
import { parseConfusion, type ConfusionRecord } from '../track/confusion-record.js';
import { downsample, jsonValue } from './downsample.js';

export const STATUSES = ['running', 'completed', 'early_stopped', 'max_steps', 'diverged', 'interrupted', 'failed', 'crashed'] as const;
const REDUCES = ['last', 'min', 'max'] as const;
const ORDERS = ['asc', 'desc'] as const;
export const MAX_POINTS_DEFAULT = 1000;
const MAX_POINTS_LIMIT = 100_000;
const COMPARE_MAX_RUNS = 50;
const KEYS_MAX = 100;

/** An error with its HTTP status; the message goes to the client as {error}. */
export class HttpError extends Error {
  /** extra fields sent with {error} (e.g. the names a 404 could have been) */
  constructor(readonly status: number, message: string, readonly extra?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
  }
}

const bad = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);

/** One value of a query parameter: a repeated parameter is a 400 (except where lists are allowed). */
function one(q: URLSearchParams, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length > 1) throw bad(`${name}: give it once (got ${all.length} values)`);
  return all[0];
}

function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw bad(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v.slice(0, 60))})`);
  return v as T;
}

function int(q: URLSearchParams, name: string, min: number, max: number, fallback?: number): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw bad(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(v.slice(0, 60))})`);
  return Number(v);
}

/** A comma-separated list (also as repeated parameters), empty items dropped. */
function list(q: URLSearchParams, name: string, maxItems: number): string[] | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  const items = all.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0 && all.some((v) => v !== '')) throw bad(`${name}: an empty list (got ${JSON.stringify(all.join('&').slice(0, 60))})`);
  if (items.length > maxItems) throw bad(`${name}: at most ${maxItems} items (got ${items.length})`);
  for (const s of items) if (s.length > 256) throw bad(`${name}: an item is longer than 256 characters`);
  return [...new Set(items)];
}

/** Rejects parameters the route does not know (a typo is better told than ignored). */
function known(q: URLSearchParams, names: readonly string[]): void {
  for (const k of q.keys()) if (!names.includes(k)) throw bad(`unknown query parameter '${k.slice(0, 60)}'; this route takes ${names.join(', ') || 'none'}`);
}

export type RunListItem = Pick<RunInfo, 'id' | 'name' | 'project' | 'status' | 'started' | 'ended' | 'tags' | 'summary'> & { sortValue?: number | string | null };

function listItem(r: RunInfo): RunListItem {
  const item: RunListItem = { id: r.id, name: r.name, project: r.project, status: r.status, started: r.started, ended: r.ended, tags: r.tags, summary: r.summary };
  if (r.sortValue !== undefined) item.sortValue = r.sortValue === null ? null : jsonValue(r.sortValue);
  return item;
}

/** GET /api/runs */
export function listRunsApi(store: RunStore, q: URLSearchParams): { runs: RunListItem[]; count: number; sort: string | null } {
  known(q, ['project', 'status', 'tag', 'q', 'sort', 'reduce', 'order', 'limit']);
  const project = one(q, 'project');
  const status = list(q, 'status', STATUSES.length);
  for (const s of status ?? []) if (!(STATUSES as readonly string[]).includes(s)) throw bad(`status must be one or more (comma-separated) of ${STATUSES.join(', ')} (got ${JSON.stringify(s.slice(0, 60))})`);
  const tags = list(q, 'tag', 20);
  const text = one(q, 'q');
  const sort = one(q, 'sort');
  if (sort !== undefined && sort.length > 256) throw bad('sort: a metric key is at most 256 characters');
  const reduce = oneOf(q, 'reduce', REDUCES);
  const order = oneOf(q, 'order', ORDERS);
  const limit = int(q, 'limit', 1, 1_000_000);
  if (reduce !== undefined && (sort === undefined || sort === '')) throw bad('reduce needs sort=<metric key>');
  const opts: ListRunsOptions = { filter: {} };
  if (project !== undefined && project !== '') opts.filter!.project = project;
  if (status !== undefined && status.length > 0) opts.filter!.status = status as RunInfo['status'][];
  if (tags !== undefined && tags.length > 0) opts.filter!.tags = tags;
  if (sort !== undefined && sort !== '') opts.orderBy = { metric: sort, reduce: reduce ?? 'last', direction: order ?? 'desc' };
  // the name filter is a case-insensitive substring, matched here (LIKE would read % and _ as wildcards)
  const needle = text === undefined || text === '' ? undefined : text.toLowerCase();
  if (needle === undefined && limit !== undefined) opts.limit = limit;
  let runs = store.listRuns(opts);
  if (needle !== undefined) runs = runs.filter((r) => r.name.toLowerCase().includes(needle) || r.id.toLowerCase().includes(needle));
  if (opts.orderBy === undefined && order === 'asc') runs.reverse();
  if (limit !== undefined) runs = runs.slice(0, limit);
  return { runs: runs.map(listItem), count: runs.length, sort: opts.orderBy?.metric ?? null };
}

function getRunOr404(store: RunStore, id: string): RunInfo {
  const run = store.getRun(id);
  if (run === undefined) throw notFound(`no run with id '${id.slice(0, 80)}' in the store`);
  return run;
}

export interface ArtifactItem extends ArtifactRow {
  /** where the board serves the file (null: a folder, not served) */
  url: string | null;
}

export function artifactUrl(runId: string, name: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/artifacts/${encodeURIComponent(name)}`;
}

/** GET /api/runs/:id */
export function runApi(store: RunStore, id: string, q: URLSearchParams): unknown {
  known(q, []);
  const run = getRunOr404(store, id);
  const artifacts: ArtifactItem[] = store.artifacts(id).map((a) => ({ ...a, url: a.bytes === null ? null : artifactUrl(id, a.name) }));
  return { run, keys: store.metricKeys(id), events: store.events(id), artifacts };
}

export interface HistogramPoint {
  epoch: number;
  step: number;
  min: number;
  max: number;
  counts: number[];
}

export interface HistogramName {
  name: string;
  /** 'gradients' for names under grad/ (the media callback's gradient histograms), else 'weights' */
  kind: 'weights' | 'gradients';
  /** how many epochs recorded it */
  epochs: number;
}

const finiteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A histogram event's data as the media callback writes it ({epoch, step, name, min, max, counts}); undefined when malformed. */
function histogramData(data: unknown, eventStep: number | null): (HistogramPoint & { name: string }) | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (typeof d.name !== 'string' || d.name === '' || !finiteNumber(d.min) || !finiteNumber(d.max) || !Array.isArray(d.counts)) return undefined;
  if (d.counts.length === 0 || !d.counts.every(finiteNumber)) return undefined;
  const step = finiteNumber(d.step) ? d.step : eventStep;
  if (!finiteNumber(d.epoch) || step === null) return undefined;
  return { name: d.name, epoch: d.epoch, step, min: d.min, max: d.max, counts: d.counts as number[] };
}

/**
 * GET /api/runs/:id/histograms: without name, { names: [{ name, kind, epochs }] } (weights first, then
 * gradients, each in the order the run recorded them); with name=<param>, { name, kind, series:
 * [{ epoch, step, min, max, counts }] } in epoch order (an epoch recorded twice, as after a resume,
 * keeps its last histogram). An unknown name is a 404 that lists the names.
 */
export function histogramsApi(store: RunStore, id: string, q: URLSearchParams): { names: HistogramName[] } | { name: string; kind: HistogramName['kind']; series: HistogramPoint[] } {
  known(q, ['name']);
  const name = one(q, 'name');
  if (name !== undefined && name === '') throw bad('name: give a parameter name (e.g. name=layers.0.weight), or leave name out for the list of names');
  if (name !== undefined && name.length > 256) throw bad('name: a parameter name is at most 256 characters');
  getRunOr404(store, id);
  const byName = new Map<string, Map<number, HistogramPoint>>();
  for (const e of store.events(id)) {
    if (e.type !== 'histogram') continue;
    const h = histogramData(e.data, e.step);
    if (h === undefined) continue;
    let epochs = byName.get(h.name);
    if (epochs === undefined) byName.set(h.name, (epochs = new Map()));
    epochs.set(h.epoch, { epoch: h.epoch, step: h.step, min: h.min, max: h.max, counts: h.counts });
  }
  const kind = (n: string): HistogramName['kind'] => (n.startsWith('grad/') ? 'gradients' : 'weights');
  const names: HistogramName[] = [...byName].map(([n, epochs]) => ({ name: n, kind: kind(n), epochs: epochs.size }));
  names.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'weights' ? -1 : 1)); // stable: keeps the recorded order within a kind
  if (name === undefined) return { names };
  const epochs = byName.get(name);
  if (epochs === undefined) {
    const list = names.map((n) => n.name);
    const shown = list.length === 0 ? 'this run recorded no histograms' : `the names are ${list.slice(0, 20).join(', ')}${list.length > 20 ? `, … (${list.length} in all)` : ''}`;
    throw new HttpError(404, `run '${id.slice(0, 80)}' has no histograms named '${name.slice(0, 80)}'; ${shown}`, { names });
  }
  return { name, kind: kind(name), series: [...epochs.values()].sort((a, b) => a.epoch - b.epoch || a.step - b.step) };
}

/**
 * GET /api/runs/:id/confusion: { series: [{ epoch, step, split, classes, matrix }] }, the run's
 * 'confusion' events (the validation confusion matrix of each epoch, rows true classes, columns
 * predictions) in epoch order; an epoch recorded twice (a resumed run) keeps its last matrix, and
 * malformed events are skipped.
 */
export function confusionApi(store: RunStore, id: string, q: URLSearchParams): { series: ConfusionRecord[] } {
  known(q, []);
  getRunOr404(store, id);
  const byEpoch = new Map<string, ConfusionRecord>();
  for (const e of store.events(id)) {
    if (e.type !== 'confusion') continue;
    const c = parseConfusion(e.data, e.step);
    if (c !== undefined) byEpoch.set(`${c.split}/${c.epoch}`, c);
  }
  return { series: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch || a.step - b.step) };
}

export interface CurveJson {
  steps: number[];
  values: (number | string | null)[];
  /** the number of points logged (before downsampling) */
  total: number;
}

function curves(store: RunStore, id: string, keys: readonly string[], max: number): Record<string, CurveJson> {
  const out: Record<string, CurveJson> = {};
  for (const key of keys) {
    const rows = store.metrics(id, key);
    const c = downsample(rows.map((r) => r.step), rows.map((r) => r.value), max);
    out[key] = { steps: c.steps, values: c.values.map(jsonValue), total: rows.length };
  }
  return out;
}

/** GET /api/runs/:id/metrics?keys=a,b&max=1000 */
export function metricsApi(store: RunStore, id: string, q: URLSearchParams): Record<string, CurveJson> {
  known(q, ['keys', 'max']);
  const keys = list(q, 'keys', KEYS_MAX);
  const max = int(q, 'max', 8, MAX_POINTS_LIMIT, MAX_POINTS_DEFAULT)!;
  getRunOr404(store, id);
  return curves(store, id, keys ?? store.metricKeys(id), max);
}

/** Dotted paths of a config's leaves ({ optim: { lr: 1 } } → { 'optim.lr': 1 }); arrays are leaves. */
export function flatten(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    const entries = Object.entries(obj as Record<string, unknown>);
    if (entries.length === 0 && prefix !== '') out[prefix] = {};
    for (const [k, v] of entries) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') {
    out[prefix] = obj;
  }
  return out;
}

/** The dotted config keys whose values differ between runs (a key missing from a run counts as a difference). */
export function configDiff(runs: readonly Pick<RunInfo, 'id' | 'config'>[]): { key: string; values: Record<string, unknown> }[] {
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const diff: { key: string; values: Record<string, unknown> }[] = [];
  for (const key of keys) {
    const texts = flat.map((f) => (key in f ? JSON.stringify(f[key]) : undefined));
    if (texts.every((t) => t === texts[0])) continue;
    diff.push({ key, values: Object.fromEntries(runs.map((r, i) => [r.id, key in flat[i]! ? flat[i]![key] : null])) });
  }
  return diff;
}

/** GET /api/compare?ids=a,b&keys=...&max= */
export function compareApi(store: RunStore, q: URLSearchParams): unknown {
  known(q, ['ids', 'keys', 'max']);
  const ids = list(q, 'ids', COMPARE_MAX_RUNS);
  if (ids === undefined || ids.length === 0) throw bad('ids: give the runs to compare, comma-separated (ids=a,b)');
  const keysAsked = list(q, 'keys', KEYS_MAX);
  const max = int(q, 'max', 8, MAX_POINTS_LIMIT, MAX_POINTS_DEFAULT)!;
  const runs = ids.map((id) => getRunOr404(store, id));
  const runKeys = Object.fromEntries(ids.map((id) => [id, store.metricKeys(id)]));
  const keys = keysAsked ?? [...new Set(Object.values(runKeys).flat())].sort();
  return {
    runs: runs.map((r) => ({ ...listItem(r), config: r.config })),
    keys,
    curves: Object.fromEntries(ids.map((id) => [id, curves(store, id, keys.filter((k) => keysAsked !== undefined || runKeys[id]!.includes(k)), max)])),
    configDiff: configDiff(runs),
  };
}

/** GET /api/keys?project=: the metric keys the runs logged (for the sort column's choice). */
export function keysApi(store: RunStore, q: URLSearchParams): { keys: string[] } {
  known(q, ['project']);
  const project = one(q, 'project');
  return { keys: store.projectMetricKeys(project || undefined) };
}

export function parseSince(q: URLSearchParams): number | undefined {
  known(q, ['since']);
  const v = one(q, 'since');
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw bad(`since must be a time in Unix seconds, e.g. since=${Math.floor(Date.now() / 1000)} (got ${JSON.stringify(v.slice(0, 60))})`);
  return n;
}
