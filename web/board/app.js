// The sous board's page: a plain ES module, no framework and no build step. Hash routes:
//   #/                      the runs table (filter, status, tag, sort by a metric, select to compare)
//   #/run/<id>              one run: curves (EMA smoothing, log axis), images over time (slider),
//                           histograms over time (ridge chart), the confusion matrix per epoch
//                           (heatmap, slider), events, config, artifacts
//   #/compare?ids=a,b       selected runs: overlaid curves with a legend, config diff
// Live updates come from /api/live (Server-Sent Events). Stable hooks for browser tests:
// #runs-table tr[data-run-id], svg.chart[data-key] path.curve[data-key][data-points], #compare-legend,
// #image-slider, #image-view[data-index][data-name], #histogram-param, svg.histograms[data-name] path.histogram[data-epoch],
// #confusion-slider, svg.confusion[data-epoch] rect.cell[data-row][data-col][data-count].
// Live curves: streamed points are appended; a curve that outgrows MAX_POINTS, or a downsampled one
// that gained LIVE_FRACTION of its points since it was fetched, is fetched again (downsampled by the
// server to LIVE_MAX points), so that it keeps its shape and never holds more than MAX_POINTS.
/* global document, window, fetch, EventSource, localStorage, location, URLSearchParams, requestAnimationFrame, setTimeout, clearTimeout, Node, CSS */

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
const view = () => document.getElementById('view');
/** the most points a curve is drawn with (the API's max) */
const MAX_POINTS = 1000;
/** a downsampled live curve is fetched again once the points streamed since its fetch exceed this share of it */
const LIVE_FRACTION = 0.25;
/** the size a live curve is fetched at: room for LIVE_FRACTION more points before it reaches MAX_POINTS */
const LIVE_MAX = Math.floor(MAX_POINTS / (1 + LIVE_FRACTION));
const state = { page: null, runId: null, run: null, curves: {}, compare: null, selected: new Set(), keys: [] };
const prefs = loadPrefs();

function loadPrefs() {
  try {
    return { smoothing: 0.6, log: false, normalize: true, ...JSON.parse(localStorage.getItem('sous-board') ?? '{}') };
  } catch {
    return { smoothing: 0.6, log: false, normalize: true };
  }
}
function savePrefs() {
  try { localStorage.setItem('sous-board', JSON.stringify(prefs)); } catch { /* private mode */ }
}

// ---- helpers ----------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  return e;
}
async function api(path) {
  const res = await fetch(path);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}
function showError(e) {
  const box = document.getElementById('error');
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
  setTimeout(() => { box.hidden = true; }, 6000);
}
/** a JSON metric value back to a number: null is NaN, 'Infinity' strings are infinities */
const num = (v) => (v === null ? NaN : typeof v === 'string' ? Number(v) : v);
function fmt(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
const time = (t) => (t ? new Date(t * 1000).toLocaleString() : '');
function duration(r) {
  const s = (r.ended ?? Date.now() / 1000) - r.started;
  return s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}
const statusBadge = (s) => el('span', { class: 'status', 'data-status': s, text: s });

// ---- charts -----------------------------------------------------------------------------------
/** TensorBoard's debiased EMA; NaNs stay NaN and do not poison the average */
function ema(values, w) {
  if (!(w > 0)) return values;
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { out[i] = v; continue; }
    last = last * w + (1 - w) * v;
    n++;
    out[i] = last / (1 - w ** n);
  }
  return out;
}

/** the SVG path of a curve (breaks at NaN, infinities and, on a log axis, values <= 0) and its point count */
function pathOf(steps, values, x, y, log) {
  let d = '';
  let pen = false;
  let points = 0;
  for (let i = 0; i < steps.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (log && v <= 0)) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${x(steps[i]).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
    points++;
  }
  return { d, points };
}

/**
 * An inline SVG line chart of one metric. series: [{ id, label, color, steps, values (numbers) }].
 */
function lineChart(key, series, { smoothing = 0, log = false } = {}) {
  const W = 480, H = 260, L = 52, R = 10, T = 10, B = 28;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, 'data-key': key, role: 'img', 'aria-label': key });
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.steps.length; i++) {
      xmin = Math.min(xmin, s.steps[i]); xmax = Math.max(xmax, s.steps[i]);
      const v = s.values[i];
      if (Number.isFinite(v) && (!log || v > 0)) { ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); }
    }
  }
  if (!Number.isFinite(xmin)) { xmin = 0; xmax = 1; }
  if (xmax === xmin) xmax = xmin + 1;
  if (!Number.isFinite(ymin)) { ymin = log ? 1 : 0; ymax = log ? 10 : 1; }
  if (ymax === ymin) { ymax += Math.abs(ymax) * 0.05 || 1; ymin -= log ? ymin * 0.05 : Math.abs(ymin) * 0.05 || 1; }
  const ty = log ? Math.log10 : (v) => v;
  const [a, b] = [ty(ymin), ty(ymax)];
  const x = (s) => L + ((s - xmin) / (xmax - xmin)) * (W - L - R);
  const y = (v) => T + (1 - (ty(v) - a) / (b - a)) * (H - T - B);
  const grid = svg('g', { class: 'grid' });
  for (let i = 0; i <= 4; i++) {
    const gy = T + (i / 4) * (H - T - B);
    const value = log ? 10 ** (b - (i / 4) * (b - a)) : ymax - (i / 4) * (ymax - ymin);
    grid.append(svg('line', { x1: L, x2: W - R, y1: gy, y2: gy }));
    const t = svg('text', { x: L - 4, y: gy + 3, 'text-anchor': 'end' });
    t.textContent = fmt(Number(value.toPrecision(3)));
    grid.append(t);
    const sx = xmin + (i / 4) * (xmax - xmin);
    const tx = svg('text', { x: x(sx), y: H - 8, 'text-anchor': 'middle' });
    tx.textContent = fmt(Math.round(sx));
    grid.append(tx);
  }
  root.append(grid);
  for (const s of series) {
    if (smoothing > 0) {
      const raw = pathOf(s.steps, s.values, x, y, log);
      root.append(svg('path', { class: 'raw', d: raw.d, stroke: s.color }));
    }
    const sm = pathOf(s.steps, ema(s.values, smoothing), x, y, log);
    const p = svg('path', { class: 'curve', d: sm.d, stroke: s.color, 'data-key': key, 'data-run-id': s.id, 'data-points': sm.points, 'data-last-step': s.steps.length ? s.steps[s.steps.length - 1] : null });
    const title = svg('title');
    title.textContent = `${s.label}: ${sm.points} points`;
    p.append(title);
    root.append(p);
  }
  return root;
}

function chartControls(onChange) {
  const slider = el('input', { type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: prefs.smoothing });
  const label = el('span', { id: 'smoothing-value', text: prefs.smoothing });
  slider.addEventListener('input', () => { prefs.smoothing = Number(slider.value); label.textContent = slider.value; savePrefs(); onChange(); });
  const logBox = el('input', { type: 'checkbox', id: 'log-axis', checked: prefs.log });
  logBox.addEventListener('change', () => { prefs.log = logBox.checked; savePrefs(); onChange(); });
  return el('div', { class: 'toolbar' }, el('label', {}, 'smoothing (EMA) ', slider, ' ', label), el('label', {}, logBox, ' log y axis'));
}

function keyPicker(keys, chosen, onChange) {
  return el('div', { class: 'keys', id: 'metric-keys' }, keys.map((k) => {
    const box = el('input', { type: 'checkbox', 'data-key': k, checked: chosen.has(k) });
    box.addEventListener('change', () => { if (box.checked) chosen.add(k); else chosen.delete(k); onChange(); });
    return el('label', {}, box, ' ', k);
  }));
}

// ---- runs table -------------------------------------------------------------------------------
const listQuery = { q: '', status: '', tag: '', sort: '', reduce: 'last', order: 'desc' };

async function runsPage() {
  state.page = 'runs';
  const v = view();
  v.dataset.page = 'runs';
  v.replaceChildren();
  const filter = el('input', { type: 'search', id: 'runs-filter', placeholder: 'filter by name', value: listQuery.q });
  const status = el('select', { id: 'runs-status' }, el('option', { value: '', text: 'any status' }),
    ['running', 'completed', 'early_stopped', 'max_steps', 'diverged', 'interrupted', 'failed', 'crashed'].map((s) => el('option', { value: s, text: s, selected: listQuery.status === s })));
  const tag = el('input', { type: 'search', id: 'runs-tag', placeholder: 'tag', value: listQuery.tag });
  const sort = el('select', { id: 'runs-sort' }, el('option', { value: '', text: 'newest first' }));
  const reduce = el('select', { id: 'runs-reduce' }, ['last', 'min', 'max'].map((r) => el('option', { value: r, text: r, selected: listQuery.reduce === r })));
  const order = el('select', { id: 'runs-order' }, ['desc', 'asc'].map((o) => el('option', { value: o, text: o, selected: listQuery.order === o })));
  const compare = el('button', { id: 'compare-selected', type: 'button', text: 'compare selected' });
  compare.addEventListener('click', () => { location.hash = `#/compare?ids=${[...state.selected].map(encodeURIComponent).join(',')}`; });
  const table = el('table', { id: 'runs-table' });
  v.append(el('div', { class: 'toolbar' }, filter, status, tag, el('label', {}, 'sort by ', sort), reduce, order, compare), table);
  const refresh = () => loadRuns(table, compare).catch(showError);
  let debounce;
  filter.addEventListener('input', () => { listQuery.q = filter.value; clearTimeout(debounce); debounce = setTimeout(refresh, 200); });
  tag.addEventListener('input', () => { listQuery.tag = tag.value; clearTimeout(debounce); debounce = setTimeout(refresh, 200); });
  status.addEventListener('change', () => { listQuery.status = status.value; refresh(); });
  sort.addEventListener('change', () => { listQuery.sort = sort.value; refresh(); });
  reduce.addEventListener('change', () => { listQuery.reduce = reduce.value; refresh(); });
  order.addEventListener('change', () => { listQuery.order = order.value; refresh(); });
  api('/api/keys').then(({ keys }) => {
    for (const k of keys) sort.append(el('option', { value: k, text: k, selected: listQuery.sort === k }));
  }).catch(showError);
  await loadRuns(table, compare);
}

async function loadRuns(table, compare) {
  const p = new URLSearchParams();
  if (listQuery.q) p.set('q', listQuery.q);
  if (listQuery.status) p.set('status', listQuery.status);
  if (listQuery.tag.trim()) p.set('tag', listQuery.tag.trim());
  if (listQuery.sort) { p.set('sort', listQuery.sort); p.set('reduce', listQuery.reduce); }
  p.set('order', listQuery.order);
  const { runs } = await api(`/api/runs?${p}`);
  const sortKey = listQuery.sort;
  table.replaceChildren(el('thead', {}, el('tr', {},
    el('th', {}, ''), el('th', { text: 'name' }), el('th', { text: 'project' }), el('th', { text: 'status' }), el('th', { text: 'tags' }),
    el('th', { text: 'started' }), el('th', { text: 'duration' }), sortKey ? el('th', { 'data-sort-key': sortKey, text: `${sortKey} (${listQuery.reduce})` }) : null)));
  const body = el('tbody');
  for (const r of runs) {
    const box = el('input', { type: 'checkbox', class: 'select-run', 'data-run-id': r.id, checked: state.selected.has(r.id) });
    box.addEventListener('change', () => { if (box.checked) state.selected.add(r.id); else state.selected.delete(r.id); compare.disabled = state.selected.size < 1; });
    body.append(el('tr', { 'data-run-id': r.id, 'data-status': r.status },
      el('td', {}, box),
      el('td', {}, el('a', { href: `#/run/${encodeURIComponent(r.id)}`, text: r.name })),
      el('td', { text: r.project }),
      el('td', { class: 'status-cell' }, statusBadge(r.status)),
      el('td', {}, r.tags.map((t) => el('span', { class: 'tag', text: t }))),
      el('td', { text: time(r.started) }),
      el('td', { class: 'num', text: duration(r) }),
      sortKey ? el('td', { class: 'num sort-value', text: r.sortValue === null ? '—' : fmt(num(r.sortValue)) }) : null));
  }
  if (runs.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'no runs match' })));
  table.append(body);
  compare.disabled = state.selected.size < 1;
}

// ---- one run ----------------------------------------------------------------------------------
async function runPage(id) {
  state.page = 'run';
  state.runId = id;
  const v = view();
  v.dataset.page = 'run';
  v.replaceChildren(el('p', { class: 'muted', text: 'loading…' }));
  const detail = await api(`/api/runs/${encodeURIComponent(id)}`);
  state.run = detail;
  const chosen = new Set(detail.keys.slice(0, 8));
  state.curves = await fetchCurves(id, detail.keys);
  const r = detail.run;
  const charts = el('div', { class: 'charts', id: 'charts' });
  const draw = () => drawRunCharts(charts, chosen);
  state.redraw = draw;
  const page = el('div', { id: 'run-page', 'data-run-id': r.id },
    el('h1', {}, r.name, ' ', el('span', { id: 'run-status' }, statusBadge(r.status))),
    el('p', { class: 'muted' }, `${r.id} · ${r.project} · started ${time(r.started)} · ${duration(r)}`, r.git?.commit ? ` · git ${r.git.commit.slice(0, 10)}${r.git.dirty ? ' (dirty)' : ''}` : '', ' ', r.tags.map((t) => el('span', { class: 'tag', text: t }))),
    el('section', {}, el('h2', { text: 'metrics' }), keyPicker(detail.keys, chosen, draw), chartControls(draw), charts),
    el('section', { id: 'images-section' }, el('h2', { text: 'images over time' }), imagesOverTime(detail.artifacts)),
    el('section', { id: 'histograms-section' }, el('h2', { text: 'histograms over time' }), histogramsOverTime(id)),
    el('section', { id: 'confusion-section' }, el('h2', { text: 'confusion matrix (validation)' }), confusionOverTime(id)),
    el('section', {}, el('h2', { text: 'summary' }), kvTable('summary-table', r.summary)),
    el('section', {}, el('h2', { text: 'events' }), eventsList(detail.events)),
    el('section', {}, el('h2', { text: 'config' }), kvTable('config-table', flatten(r.config))),
    el('section', {}, el('h2', { text: 'artifacts' }), artifactsList(detail.artifacts)),
    el('section', {}, el('h2', { text: 'environment' }), el('pre', { id: 'environment', text: JSON.stringify({ seed: r.seed, git: r.git, host: r.host, environment: r.environment, data: r.data }, null, 2) })));
  v.replaceChildren(page);
  draw();
}

async function fetchCurves(id, keys) {
  if (keys.length === 0) return {};
  const out = {};
  for (let i = 0; i < keys.length; i += 50) {
    const part = await api(`/api/runs/${encodeURIComponent(id)}/metrics?keys=${keys.slice(i, i + 50).map(encodeURIComponent).join(',')}&max=${MAX_POINTS}`);
    for (const [k, c] of Object.entries(part)) out[k] = asCurve(c);
  }
  return out;
}

/** a curve from the API as the page keeps it: numbers, the points logged (total), and how many it had when fetched */
function asCurve(c) {
  const values = c.values.map(num);
  return { steps: [...c.steps], values, total: c.total ?? c.steps.length, fetched: c.steps.length };
}

// ---- live curves: append, and downsample again as they grow -----------------------------------
/** downsample.ts's min/max buckets (first and last point kept; a bucket keeps its min, max and first NaN) */
function downsampleIndices(values, max) {
  const n = values.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  let hasNaN = false;
  for (let i = 1; i < n - 1; i++) if (Number.isNaN(values[i])) { hasNaN = true; break; }
  const inner = n - 2;
  const buckets = Math.max(1, Math.floor((max - 2) / (hasNaN ? 3 : 2)));
  const out = [0];
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * inner) / buckets);
    const hi = 1 + Math.floor(((b + 1) * inner) / buckets);
    let iMin = -1, iMax = -1, iNaN = -1;
    for (let i = lo; i < hi; i++) {
      const v = values[i];
      if (Number.isNaN(v)) { if (iNaN < 0) iNaN = i; continue; }
      if (iMin < 0 || v < values[iMin]) iMin = i;
      if (iMax < 0 || v > values[iMax]) iMax = i;
    }
    const keep = [iMin, iMax, iNaN].filter((i) => i >= 0).sort((x, y) => x - y);
    for (let k = 0; k < keep.length; k++) if (k === 0 || keep[k] !== keep[k - 1]) out.push(keep[k]);
  }
  out.push(n - 1);
  return out.length > max ? [0, n - 1] : out;
}

/** Appends streamed points past the curve's last step; returns how many. */
function appendLive(cur, steps, values) {
  const lastStep = cur.steps.length ? cur.steps[cur.steps.length - 1] : -Infinity;
  let added = 0;
  steps.forEach((step, i) => {
    if (step <= lastStep) return; // the page's own fetch may already hold points the stream sends again
    cur.steps.push(step);
    cur.values.push(num(values[i]));
    added++;
  });
  cur.total += added;
  return added;
}

const refetching = new Set();
/**
 * After live points were appended: a curve past MAX_POINTS, or a downsampled curve (some logged points
 * not shown) that gained more than LIVE_FRACTION of its fetched points, is fetched again at LIVE_MAX
 * points. Until the answer is in, a curve past MAX_POINTS is cut down here with the same buckets.
 * `holder` maps keys to curves; `current()` says whether the page still shows it.
 */
function redownsample(runId, key, holder, current) {
  const cur = holder[key];
  const live = cur.steps.length - cur.fetched;
  const over = cur.steps.length > MAX_POINTS;
  if (!over && !(cur.total > cur.steps.length && live > LIVE_FRACTION * cur.fetched)) return;
  if (over) {
    const keep = downsampleIndices(cur.values, LIVE_MAX);
    cur.steps = keep.map((i) => cur.steps[i]);
    cur.values = keep.map((i) => cur.values[i]);
    cur.fetched = Math.min(cur.fetched, cur.steps.length);
  }
  const id = `${runId}\n${key}`;
  if (refetching.has(id)) return;
  refetching.add(id);
  api(`/api/runs/${encodeURIComponent(runId)}/metrics?keys=${encodeURIComponent(key)}&max=${LIVE_MAX}`).then((part) => {
    if (!current() || !part[key]) return;
    const next = asCurve(part[key]);
    // points streamed while the request was out
    const now = holder[key];
    const lastStep = next.steps.length ? next.steps[next.steps.length - 1] : -Infinity;
    for (let i = 0; i < now.steps.length; i++) {
      if (now.steps[i] <= lastStep) continue;
      next.steps.push(now.steps[i]);
      next.values.push(now.values[i]);
      next.total++;
    }
    holder[key] = next;
    queueRedraw();
  }).catch(showError).finally(() => refetching.delete(id));
}

function drawRunCharts(container, chosen) {
  container.replaceChildren();
  for (const key of [...chosen].sort()) {
    const c = state.curves[key] ?? { steps: [], values: [] };
    container.append(el('figure', { class: 'chart-box', 'data-key': key }, el('figcaption', { text: key }),
      lineChart(key, [{ id: state.runId, label: key, color: COLORS[0], steps: c.steps, values: c.values }], { smoothing: prefs.smoothing, log: prefs.log })));
  }
  if (chosen.size === 0) container.append(el('p', { class: 'muted', text: 'choose metrics above' }));
}

function flatten(obj, prefix = '', out = {}) {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = obj;
  return out;
}

function kvTable(id, obj) {
  const entries = Object.entries(obj ?? {});
  if (entries.length === 0) return el('p', { id, class: 'muted', text: 'none' });
  return el('table', { id }, el('tbody', {}, entries.map(([k, v]) => el('tr', { 'data-key': k }, el('th', { text: k }), el('td', { text: fmt(v) })))));
}

function eventsList(all) {
  // histogram events (one per parameter and epoch) are drawn in "histograms over time", and confusion
  // events (one per epoch) in the confusion matrix section, not listed
  const events = all.filter((e) => e.type !== 'histogram' && e.type !== 'confusion');
  const hidden = all.filter((e) => e.type === 'histogram').length;
  const matrices = all.filter((e) => e.type === 'confusion').length;
  const note = hidden + matrices > 0 ? el('p', { class: 'muted', id: 'events-histograms', text: [
    hidden > 0 ? `${hidden} histogram event${hidden === 1 ? '' : 's'}: see histograms over time` : '',
    matrices > 0 ? `${matrices} confusion matri${matrices === 1 ? 'x' : 'ces'}: see the confusion matrix` : '',
  ].filter(Boolean).join(' · ') }) : null;
  if (events.length === 0) return el('div', {}, el('p', { id: 'events', class: 'muted', text: 'no events' }), note);
  return el('div', {}, el('ul', { id: 'events' }, events.map((e) => el('li', { 'data-type': e.type },
    el('span', { class: 'muted', text: `${time(e.time)}${e.step === null ? '' : ` · step ${e.step}`} · ` }), el('b', { text: e.type }), ` ${e.message}`,
    e.data === null ? null : el('pre', { class: 'muted', text: JSON.stringify(e.data) })))), note);
}

// ---- images over time -------------------------------------------------------------------------
const IMAGE_FILE = /\.(png|jpe?g|gif|webp)$/i;
/** `media/predictions-epoch-003.png` → { series: 'media/predictions', epoch: 3 }; a name without a number is its own series */
function imageSeriesOf(name) {
  const m = /^(.*?)(?:[-_.]?epoch)?[-_.]?(\d+)\.(?:png|jpe?g|gif|webp)$/i.exec(name);
  if (m && m[1] !== '') return { series: m[1], epoch: Number(m[2]) };
  return { series: name.replace(IMAGE_FILE, ''), epoch: null };
}

/** The run's image artifacts grouped into series, each in epoch order (a name recorded twice keeps its last record). */
function imageSeries(artifacts) {
  const latest = new Map();
  for (const a of artifacts) if (a.url && a.kind === 'image' && (IMAGE_FILE.test(a.name) || IMAGE_FILE.test(a.path))) latest.set(a.name, a);
  const groups = new Map();
  for (const a of latest.values()) {
    const { series, epoch } = imageSeriesOf(IMAGE_FILE.test(a.name) ? a.name : a.name + (IMAGE_FILE.exec(a.path)?.[0] ?? ''));
    if (!groups.has(series)) groups.set(series, []);
    groups.get(series).push({ ...a, epoch });
  }
  for (const items of groups.values()) items.sort((x, y) => (x.epoch ?? -1) - (y.epoch ?? -1) || x.created - y.created);
  return [...groups].map(([name, items]) => ({ name, items }));
}

function imagesOverTime(artifacts) {
  const all = imageSeries(artifacts);
  // a series with several images first (the ones worth a slider), then by name
  all.sort((a, b) => (b.items.length > 1) - (a.items.length > 1) || a.name.localeCompare(b.name));
  if (all.length === 0) return el('p', { id: 'images', class: 'muted', text: 'no image artifacts' });
  const box = el('div', { id: 'images', class: 'images' });
  const picker = el('select', { id: 'image-series' }, all.map((g) => el('option', { value: g.name, text: `${g.name} (${g.items.length})` })));
  const slider = el('input', { type: 'range', id: 'image-slider', min: 0, step: 1 });
  const label = el('span', { id: 'image-label' });
  const img = el('img', { id: 'image-view', alt: '' });
  const caption = el('figcaption', { class: 'muted' });
  let group = all[0];
  const show = (i) => {
    const a = group.items[i];
    const last = group.items[group.items.length - 1];
    img.src = a.url;
    img.alt = a.name;
    img.dataset.index = String(i);
    img.dataset.name = a.name;
    img.dataset.series = group.name;
    label.textContent = a.epoch === null || last.epoch === null ? `image ${i + 1} of ${group.items.length}` : `epoch ${a.epoch} of ${last.epoch}`;
    caption.textContent = `${a.name} · ${a.bytes} bytes`;
  };
  const choose = () => {
    group = all.find((g) => g.name === picker.value) ?? all[0];
    slider.max = String(group.items.length - 1);
    slider.value = slider.max; // newest by default
    slider.disabled = group.items.length < 2;
    show(group.items.length - 1);
  };
  slider.addEventListener('input', () => show(Math.min(group.items.length - 1, Math.max(0, Number(slider.value) || 0))));
  picker.addEventListener('change', choose);
  box.append(el('div', { class: 'toolbar' }, all.length > 1 ? el('label', {}, 'series ', picker) : el('b', { text: all[0].name }), slider, label),
    el('figure', { class: 'image-box' }, img, caption));
  choose();
  return box;
}

// ---- histograms over time ---------------------------------------------------------------------
function histogramsOverTime(runId) {
  const box = el('div', { id: 'histograms', class: 'histograms-box' }, el('p', { class: 'muted', text: 'loading…' }));
  const base = `/api/runs/${encodeURIComponent(runId)}/histograms`;
  api(base).then(({ names }) => {
    if (names.length === 0) { box.replaceChildren(el('p', { class: 'muted', text: 'no histograms (the media callback records them)' })); return; }
    const groups = ['weights', 'gradients'].map((kind) => [kind, names.filter((n) => n.kind === kind)]).filter(([, ns]) => ns.length > 0);
    const picker = el('select', { id: 'histogram-param' }, groups.map(([kind, ns]) => el('optgroup', { label: kind },
      ns.map((n) => el('option', { value: n.name, 'data-kind': n.kind, text: `${n.name} (${n.epochs} epoch${n.epochs === 1 ? '' : 's'})` })))));
    const chartBox = el('figure', { class: 'chart-box histogram-chart' });
    const load = async () => {
      const name = picker.value;
      const data = await api(`${base}?name=${encodeURIComponent(name)}`);
      if (picker.value !== name || state.runId !== runId) return; // a newer choice won
      chartBox.replaceChildren(el('figcaption', { text: `${data.name} (${data.kind})` }), ridgeChart(data.name, data.series));
    };
    picker.addEventListener('change', () => load().catch(showError));
    box.replaceChildren(el('div', { class: 'toolbar' }, el('label', {}, 'parameter ', picker)), chartBox);
    return load();
  }).catch((e) => box.replaceChildren(el('p', { class: 'muted', text: `histograms: ${e instanceof Error ? e.message : String(e)}` })));
  return box;
}

/**
 * TensorBoard's "offset" histogram view: one ridge per epoch, value on the x axis, the oldest epoch at
 * the back (top, light) and the newest in front (bottom, dark). Heights share one scale.
 */
function ridgeChart(name, series) {
  const W = 560, H = 320, L = 12, R = 70, T = 10, B = 28;
  const root = svg('svg', { class: 'histograms', viewBox: `0 0 ${W} ${H}`, 'data-name': name, role: 'img', 'aria-label': `histograms of ${name}` });
  if (series.length === 0) return root;
  let xmin = Infinity, xmax = -Infinity, cmax = 0;
  for (const h of series) {
    xmin = Math.min(xmin, h.min);
    xmax = Math.max(xmax, h.max);
    for (const c of h.counts) cmax = Math.max(cmax, c);
  }
  if (xmax === xmin) { xmin -= Math.abs(xmin) * 0.05 || 1; xmax += Math.abs(xmax) * 0.05 || 1; }
  if (cmax <= 0) cmax = 1;
  const plotH = H - T - B;
  const ridge = series.length === 1 ? plotH : Math.max(plotH * 0.35, plotH / series.length * 1.5);
  const gap = series.length === 1 ? 0 : (plotH - ridge) / (series.length - 1);
  const x = (v) => L + ((v - xmin) / (xmax - xmin)) * (W - L - R);
  const grid = svg('g', { class: 'grid' });
  for (let i = 0; i <= 4; i++) {
    const v = xmin + (i / 4) * (xmax - xmin);
    grid.append(svg('line', { x1: x(v), x2: x(v), y1: T, y2: H - B }));
    const t = svg('text', { x: x(v), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
    t.textContent = fmt(Number(v.toPrecision(3)));
    grid.append(t);
  }
  root.append(grid);
  const labelEvery = Math.max(1, Math.ceil(series.length / 10));
  series.forEach((h, i) => {
    const baseline = T + ridge + i * gap;
    const n = h.counts.length;
    // a constant tensor is one spike at its value
    const width = h.max > h.min ? (h.max - h.min) / n : 0;
    const yOf = (c) => baseline - (c / cmax) * ridge;
    let d = `M${x(h.min).toFixed(1)},${baseline.toFixed(1)}`;
    h.counts.forEach((c, b) => { d += `L${x(h.min + (b + 0.5) * width).toFixed(1)},${yOf(c).toFixed(1)}`; });
    d += `L${x(h.min + n * width).toFixed(1)},${baseline.toFixed(1)}Z`;
    // older epochs light, newer dark (drawn later: in front)
    const t = series.length === 1 ? 1 : i / (series.length - 1);
    const light = Math.round(78 - 50 * t);
    const p = svg('path', { class: 'histogram', d, 'data-epoch': h.epoch, 'data-step': h.step, stroke: `hsl(24, 85%, ${light - 12}%)`, fill: `hsl(24, 85%, ${light}%)` });
    const title = svg('title');
    title.textContent = `epoch ${h.epoch + 1} · step ${h.step} · min ${fmt(h.min)} · max ${fmt(h.max)} · ${h.counts.reduce((a, b) => a + b, 0)} values`;
    p.append(title);
    root.append(p);
    if (i % labelEvery === 0 || i === series.length - 1) {
      const lab = svg('text', { x: W - R + 6, y: baseline + 3, class: 'epoch-label' });
      lab.textContent = `epoch ${h.epoch + 1}`;
      root.append(lab);
    }
  });
  return root;
}

// ---- confusion matrix over time -----------------------------------------------------------------
function confusionOverTime(runId) {
  const box = el('div', { id: 'confusion', class: 'confusion-box' }, el('p', { class: 'muted', text: 'loading…' }));
  api(`/api/runs/${encodeURIComponent(runId)}/confusion`).then(({ series }) => {
    if (state.runId !== runId) return;
    if (series.length === 0) { box.replaceChildren(el('p', { class: 'muted', text: 'no confusion matrices (a classification run records one per validation epoch)' })); return; }
    const slider = el('input', { type: 'range', id: 'confusion-slider', min: 0, max: series.length - 1, step: 1, value: series.length - 1, disabled: series.length < 2 });
    const label = el('span', { id: 'confusion-label' });
    const norm = el('input', { type: 'checkbox', id: 'confusion-normalize', checked: prefs.normalize });
    const chartBox = el('figure', { class: 'chart-box confusion-chart' });
    const show = () => {
      const i = Math.min(series.length - 1, Math.max(0, Number(slider.value) || 0));
      const c = series[i];
      label.textContent = `epoch ${c.epoch + 1} of ${series[series.length - 1].epoch + 1}`;
      chartBox.replaceChildren(el('figcaption', { text: `epoch ${c.epoch + 1} · step ${c.step} · rows: true class, columns: predicted` }), confusionChart(c, prefs.normalize));
    };
    slider.addEventListener('input', show);
    norm.addEventListener('change', () => { prefs.normalize = norm.checked; savePrefs(); show(); });
    box.replaceChildren(el('div', { class: 'toolbar' }, slider, label, el('label', {}, norm, ' shares of each row')), chartBox);
    show();
  }).catch((e) => box.replaceChildren(el('p', { class: 'muted', text: `confusion matrix: ${e instanceof Error ? e.message : String(e)}` })));
  return box;
}

/**
 * A heatmap of one confusion matrix: rows true classes, columns predictions. Shade by the cell's share
 * of its row (recall on the diagonal, blue; confusions red); the cell shows the share or the count.
 */
function confusionChart(c, normalize) {
  const k = c.matrix.length;
  const cell = Math.max(14, Math.min(48, Math.floor(480 / k)));
  const nameW = Math.min(120, 8 + 6.5 * Math.max(...c.classes.map((n) => n.length)));
  const L = nameW + 16, T = 10, B = nameW + 16;
  const W = L + k * cell + 8, H = T + k * cell + B;
  const root = svg('svg', { class: 'confusion', viewBox: `0 0 ${W} ${H}`, width: W, 'data-epoch': c.epoch, 'data-step': c.step, role: 'img', 'aria-label': `confusion matrix, epoch ${c.epoch + 1}` });
  const showText = k <= 20;
  for (let r = 0; r < k; r++) {
    const row = c.matrix[r];
    const total = row.reduce((a, b) => a + b, 0);
    const name = svg('text', { x: L - 4, y: T + r * cell + cell / 2 + 3, 'text-anchor': 'end', class: 'class-name' });
    name.textContent = c.classes[r];
    root.append(name);
    for (let col = 0; col < k; col++) {
      const share = total > 0 ? row[col] / total : 0;
      const hue = r === col ? 217 : 0;
      const rect = svg('rect', { class: 'cell', x: L + col * cell, y: T + r * cell, width: cell - 1, height: cell - 1,
        fill: share === 0 ? '#f8fafc' : `hsl(${hue}, 80%, ${Math.round(96 - 52 * share)}%)`, 'data-row': r, 'data-col': col, 'data-count': row[col] });
      const title = svg('title');
      title.textContent = `true ${c.classes[r]} → predicted ${c.classes[col]}: ${row[col]} (${(100 * share).toFixed(1)}% of ${total})`;
      rect.append(title);
      root.append(rect);
      if (showText && row[col] > 0) {
        const t = svg('text', { x: L + col * cell + (cell - 1) / 2, y: T + r * cell + cell / 2 + 3, 'text-anchor': 'middle', class: share > 0.5 ? 'cell-text dark' : 'cell-text' });
        t.textContent = normalize ? (share >= 0.995 ? '1' : share.toFixed(2).replace(/^0/, '')) : String(row[col]);
        root.append(t);
      }
    }
  }
  for (let col = 0; col < k; col++) {
    const x = L + col * cell + cell / 2 + 3;
    const y = T + k * cell + 6;
    const name = svg('text', { x, y, transform: `rotate(-60 ${x} ${y})`, 'text-anchor': 'end', class: 'class-name' });
    name.textContent = c.classes[col];
    root.append(name);
  }
  const ax = svg('text', { x: L + (k * cell) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' });
  ax.textContent = 'predicted';
  root.append(ax);
  const ay = svg('text', { x: 10, y: T + (k * cell) / 2, 'text-anchor': 'middle', transform: `rotate(-90 10 ${T + (k * cell) / 2})`, class: 'axis-title' });
  ay.textContent = 'true';
  root.append(ay);
  return root;
}

function artifactsList(artifacts) {
  if (artifacts.length === 0) return el('p', { id: 'artifacts', class: 'muted', text: 'no artifacts' });
  const doctor = artifacts.find((a) => a.url && (a.name === 'doctor.html' || /(^|[\\/])doctor\.html$/i.test(a.path)));
  return el('div', { id: 'artifacts', class: 'artifacts' },
    doctor?.url ? el('p', {}, el('a', { id: 'doctor-link', href: doctor.url, target: '_blank', rel: 'noopener', text: 'doctor report (doctor.html)' })) : null,
    el('ul', {}, artifacts.map((a) => el('li', { 'data-artifact': a.name },
      a.url ? el('a', { href: a.url, target: '_blank', rel: 'noopener', text: a.name }) : el('span', { text: a.name }),
      el('span', { class: 'muted', text: ` ${a.kind} · ${a.bytes === null ? 'folder' : `${a.bytes} bytes`} · ${a.path}` }),
      a.url && /\.png$/i.test(a.path) ? el('img', { src: a.url, alt: a.name, loading: 'lazy' }) : null))));
}

// ---- compare ----------------------------------------------------------------------------------
async function comparePage(params) {
  state.page = 'compare';
  const v = view();
  v.dataset.page = 'compare';
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean);
  if (ids.length === 0) {
    v.replaceChildren(el('div', { id: 'compare-page' }, el('p', { text: 'select runs in the ' }, el('a', { href: '#/', text: 'runs table' }), ' to compare them.')));
    return;
  }
  v.replaceChildren(el('p', { class: 'muted', text: 'loading…' }));
  const data = await api(`/api/compare?ids=${ids.map(encodeURIComponent).join(',')}&max=${MAX_POINTS}`);
  for (const curves of Object.values(data.curves)) for (const [k, c] of Object.entries(curves)) curves[k] = asCurve(c);
  state.compare = data;
  const color = Object.fromEntries(data.runs.map((r, i) => [r.id, COLORS[i % COLORS.length]]));
  const chosen = new Set(data.keys.slice(0, 6));
  const charts = el('div', { class: 'charts', id: 'compare-charts' });
  const draw = () => {
    charts.replaceChildren();
    for (const key of [...chosen].sort()) {
      const series = data.runs.filter((r) => data.curves[r.id]?.[key]).map((r) => {
        const c = data.curves[r.id][key];
        return { id: r.id, label: r.name, color: color[r.id], steps: c.steps, values: c.values };
      });
      charts.append(el('figure', { class: 'chart-box', 'data-key': key }, el('figcaption', { text: key }), lineChart(key, series, { smoothing: prefs.smoothing, log: prefs.log })));
    }
  };
  state.redraw = draw;
  const legend = el('ul', { id: 'compare-legend', class: 'legend' }, data.runs.map((r) => el('li', { 'data-run-id': r.id },
    el('span', { class: 'swatch', style: `background:${color[r.id]}` }), el('a', { href: `#/run/${encodeURIComponent(r.id)}`, text: r.name }), ' ', statusBadge(r.status))));
  const diff = data.configDiff.length === 0 ? el('p', { id: 'config-diff', class: 'muted', text: 'the configs are the same' })
    : el('table', { id: 'config-diff' },
      el('thead', {}, el('tr', {}, el('th', { text: 'config key' }), data.runs.map((r) => el('th', { style: `color:${color[r.id]}`, text: r.name })))),
      el('tbody', {}, data.configDiff.map((d) => el('tr', { 'data-key': d.key }, el('th', { text: d.key }), data.runs.map((r) => el('td', { text: fmt(d.values[r.id]) }))))));
  v.replaceChildren(el('div', { id: 'compare-page', 'data-run-ids': data.runs.map((r) => r.id).join(',') },
    el('h1', { text: `compare ${data.runs.length} runs` }), legend,
    el('section', {}, el('h2', { text: 'metrics' }), keyPicker(data.keys, chosen, draw), chartControls(draw), charts),
    el('section', {}, el('h2', { text: 'config diff' }), diff)));
  draw();
}

// ---- live updates -----------------------------------------------------------------------------
let redrawQueued = false;
function queueRedraw() {
  if (redrawQueued || !state.redraw) return;
  redrawQueued = true;
  requestAnimationFrame(() => { redrawQueued = false; state.redraw?.(); });
}

function startLive() {
  const badge = document.getElementById('live-status');
  const source = new EventSource(`/api/live?since=${Math.floor(Date.now() / 1000)}`);
  source.addEventListener('open', () => { badge.dataset.state = 'on'; badge.textContent = 'live: on'; });
  source.addEventListener('error', () => { badge.dataset.state = 'off'; badge.textContent = 'live: reconnecting'; });
  source.addEventListener('metrics', (ev) => {
    const msg = JSON.parse(ev.data);
    if (state.page === 'run' && msg.runs[state.runId]) {
      const runId = state.runId;
      const holder = state.curves;
      for (const [key, c] of Object.entries(msg.runs[runId])) {
        holder[key] ??= { steps: [], values: [], total: 0, fetched: 0 };
        if (appendLive(holder[key], c.steps, c.values) > 0) redownsample(runId, key, holder, () => state.page === 'run' && state.curves === holder);
        if (!state.run.keys.includes(key)) state.run.keys.push(key);
      }
      queueRedraw();
    } else if (state.page === 'compare' && state.compare) {
      let touched = false;
      const data = state.compare;
      for (const r of data.runs) {
        const holder = data.curves[r.id];
        for (const [key, c] of Object.entries(msg.runs[r.id] ?? {})) {
          holder[key] ??= { steps: [], values: [], total: 0, fetched: 0 };
          if (appendLive(holder[key], c.steps, c.values) > 0) {
            touched = true;
            redownsample(r.id, key, holder, () => state.page === 'compare' && state.compare === data);
          }
        }
      }
      if (touched) queueRedraw();
    }
  });
  source.addEventListener('runs', (ev) => {
    const { runs } = JSON.parse(ev.data);
    for (const r of runs) {
      const row = document.querySelector(`#runs-table tr[data-run-id="${CSS.escape(r.id)}"]`);
      if (row) {
        row.dataset.status = r.status;
        row.querySelector('.status-cell')?.replaceChildren(statusBadge(r.status));
      } else if (state.page === 'runs') {
        route(); // a new run: reload the table
        return;
      }
      if (state.page === 'run' && r.id === state.runId) document.getElementById('run-status')?.replaceChildren(statusBadge(r.status));
    }
  });
}

// ---- routing ----------------------------------------------------------------------------------
async function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  state.redraw = null;
  try {
    if (path.startsWith('/run/')) await runPage(decodeURIComponent(path.slice(5)));
    else if (path === '/compare') await comparePage(new URLSearchParams(query));
    else await runsPage();
  } catch (e) {
    view().replaceChildren(el('p', { id: 'page-error', class: 'muted', text: e instanceof Error ? e.message : String(e) }));
  }
}

window.addEventListener('hashchange', route);
route();
startLive();
