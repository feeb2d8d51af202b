// `sous board` over real HTTP (127.0.0.1, port 0) on a temp store written with track.init/log/finish:
// every API route, downsampling through the API, NaN as null, 400s that name the parameter, 404s
// (unknown run, route, artifact, path traversal), the static page, SSE live updates from a run
// logging while the board runs, and a server that still answers after 100 malformed requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, RunStore, type Run } from '../../src/track/index.js';
import { startBoard, type Board } from '../../src/board/index.js';
import { boardCommand } from '../../src/cli/board.js';

let tmp: string;
let file: string;
let board: Board;
const ids = { a: 'run-a', b: 'run-b', c: 'run-c' };

async function get(path: string): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const res = await fetch(new URL(path, board.url));
  const text = await res.text();
  let body: unknown = undefined;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body, text, type: res.headers.get('content-type') ?? '' };
}

/** A raw request (fetch normalizes paths like /../; this does not). */
function raw(path: string, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(board.url);
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sous-board-'));
  file = join(tmp, 'runs.db');
  const store = RunStore.open(file);
  const a = init({ store, id: ids.a, name: 'alpha-lr3e-3', project: 'fashion', config: { optim: { lr: 3e-3, name: 'adam' }, model: 'cnn', epochs: 5 }, tags: ['baseline'] });
  for (let s = 0; s < 5000; s++) a.log({ 'train/loss': s === 2500 ? Number.NaN : 2 * Math.exp(-s / 1000) + (s === 1234 ? 5 : 0), lr: 3e-3 }, { step: s });
  a.log({ 'val/acc': 0.91 }, { step: 4999 });
  a.event('early_stop', 'val/loss did not improve for 3 epochs', { best: 7 });
  writeFileSync(join(tmp, 'curve.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  writeFileSync(join(tmp, 'doctor.html'), '<html><body>doctor</body></html>');
  a.artifact('curve', join(tmp, 'curve.png'), 'image');
  a.artifact('doctor.html', join(tmp, 'doctor.html'), 'report');
  a.artifact('folder', tmp, 'dir');
  a.finish();
  const b = init({ store, id: ids.b, name: 'beta-lr1e-3', project: 'fashion', config: { optim: { lr: 1e-3, name: 'adam' }, model: 'cnn' }, tags: ['baseline', 'sweep'] });
  for (let s = 0; s < 300; s++) b.log({ 'train/loss': 1.5 - s / 1000, 'val/acc': 0.8 + s / 10_000 }, { step: s });
  // histograms as the media callback records them (a gradient first: the list puts weights first anyway)
  for (const epoch of [0, 1]) {
    const step = (epoch + 1) * 150;
    for (const name of ['grad/layers.0.weight', 'layers.0.weight', 'layers.0.bias']) {
      const h = { epoch, step, name, min: -1 - epoch, max: 1 + epoch, counts: [epoch, 2, 5 + epoch, 2, 1] };
      b.event('histogram', name, h, { step });
    }
  }
  b.event('histogram', 'broken', { epoch: 0, name: 'broken', counts: 'nope' }, { step: 1 }); // malformed: skipped
  // confusion matrices as the confusion callback records them; epoch 1 twice (a resume: the last counts)
  const cm = (epoch: number, step: number, matrix: number[][]) => b.event('confusion', 'val', { epoch, step, split: 'val', classes: ['cat', 'dog'], matrix }, { step });
  cm(1, 300, [[1, 1], [1, 1]]);
  cm(0, 150, [[3, 2], [1, 4]]);
  cm(1, 300, [[4, 1], [0, 5]]);
  b.event('confusion', 'val', { epoch: 2, step: 9, matrix: [[1, 2]] }, { step: 9 }); // not square: skipped
  b.finish('early_stopped');
  const c = init({ store, id: ids.c, name: 'gamma 100%_odd', project: 'other', config: { model: 'mlp' } });
  c.log({ 'train/loss': Number.NaN }, { step: 0 });
  c.finish('diverged');
  store.close();
  board = await startBoard({ store: file, port: 0, liveIntervalMs: 200 });
});

after(async () => {
  await board?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('listens on loopback and serves the page', async () => {
  assert.match(board.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /text\/html/);
  assert.match(index.text, /<script type="module" src="\/app.js">/);
  const js = await get('/app.js');
  assert.equal(js.status, 200);
  assert.match(js.type, /javascript/);
  assert.equal((await get('/style.css')).status, 200);
});

test('/api/runs: filters, name substring, sort by a metric', async () => {
  const all = (await get('/api/runs')).body as { runs: { id: string; name: string; summary: Record<string, unknown>; status: string }[]; count: number };
  assert.equal(all.count, 3);
  assert.deepEqual(all.runs.map((r) => r.id), [ids.c, ids.b, ids.a]); // newest first
  assert.equal(all.runs[2]!.summary['val/acc'], 0.91);
  const fashion = (await get('/api/runs?project=fashion&tag=sweep')).body as typeof all;
  assert.deepEqual(fashion.runs.map((r) => r.id), [ids.b]);
  const byStatus = (await get('/api/runs?status=completed,diverged')).body as typeof all;
  assert.deepEqual(byStatus.runs.map((r) => r.id).sort(), [ids.a, ids.c]);
  const q = (await get('/api/runs?q=100%25_')).body as typeof all; // % and _ are plain characters
  assert.deepEqual(q.runs.map((r) => r.id), [ids.c]);
  assert.equal(((await get('/api/runs?q=LR')).body as typeof all).count, 2);
  const sorted = (await get('/api/runs?sort=val/acc&reduce=max&order=desc')).body as { runs: { id: string; sortValue: number | null }[] };
  assert.deepEqual(sorted.runs.map((r) => r.id), [ids.a, ids.b, ids.c]);
  assert.equal(sorted.runs[0]!.sortValue, 0.91);
  assert.equal(sorted.runs[2]!.sortValue, null);
  const asc = (await get('/api/runs?sort=train/loss&reduce=min&order=asc&limit=1')).body as typeof sorted;
  assert.equal(asc.runs.length, 1);
  assert.equal(asc.runs[0]!.id, ids.a);
});

test('/api/runs/:id: config, events, artifacts, keys; 404 for an unknown run', async () => {
  const r = await get(`/api/runs/${ids.a}`);
  assert.equal(r.status, 200);
  const body = r.body as { run: { config: { optim: { lr: number } }; environment: unknown; git: unknown }; keys: string[]; events: { type: string; data: unknown }[]; artifacts: { name: string; url: string | null }[] };
  assert.equal(body.run.config.optim.lr, 3e-3);
  assert.ok('environment' in body.run && 'git' in body.run);
  assert.deepEqual(body.keys, ['lr', 'train/loss', 'val/acc']);
  assert.equal(body.events[0]!.type, 'early_stop');
  assert.deepEqual(body.events[0]!.data, { best: 7 });
  assert.deepEqual(body.artifacts.map((a) => a.name), ['curve', 'doctor.html', 'folder']);
  assert.equal(body.artifacts[2]!.url, null);
  const missing = await get('/api/runs/nope');
  assert.equal(missing.status, 404);
  assert.match((missing.body as { error: string }).error, /no run with id 'nope'/);
  assert.equal((await get('/api/runs/nope/metrics')).status, 404);
});

test('/api/runs/:id/metrics: downsampled, extremes and ends kept, NaN as null', async () => {
  const r = await get(`/api/runs/${ids.a}/metrics?keys=train/loss,lr&max=200`);
  assert.equal(r.status, 200);
  const m = r.body as Record<string, { steps: number[]; values: (number | null)[]; total: number }>;
  const loss = m['train/loss']!;
  assert.ok(loss.steps.length <= 200 && loss.steps.length > 100, `${loss.steps.length} points`);
  assert.equal(loss.total, 5000);
  assert.equal(loss.steps[0], 0);
  assert.equal(loss.steps.at(-1), 4999);
  assert.ok(loss.steps.includes(1234), 'the spike (the max) is kept');
  assert.ok(loss.steps.includes(4998) || loss.steps.includes(4999), 'the min (the end) is kept');
  const at = loss.steps.indexOf(2500);
  assert.ok(at >= 0 && loss.values[at] === null, 'NaN comes back as null');
  assert.match(r.text, /null/);
  assert.equal(m.lr!.values.every((v) => v === 3e-3), true);
  const all = (await get(`/api/runs/${ids.c}/metrics`)).body as Record<string, { values: unknown[] }>;
  assert.deepEqual(all['train/loss']!.values, [null]);
});

test('/api/runs/:id/histograms: the names with their kind, one series per name, 404s that list the names', async () => {
  const list = await get(`/api/runs/${ids.b}/histograms`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, { names: [
    { name: 'layers.0.weight', kind: 'weights', epochs: 2 },
    { name: 'layers.0.bias', kind: 'weights', epochs: 2 },
    { name: 'grad/layers.0.weight', kind: 'gradients', epochs: 2 },
  ] });
  const w = await get(`/api/runs/${ids.b}/histograms?name=layers.0.weight`);
  assert.equal(w.status, 200);
  assert.deepEqual(w.body, { name: 'layers.0.weight', kind: 'weights', series: [
    { epoch: 0, step: 150, min: -1, max: 1, counts: [0, 2, 5, 2, 1] },
    { epoch: 1, step: 300, min: -2, max: 2, counts: [1, 2, 6, 2, 1] },
  ] });
  const g = (await get(`/api/runs/${ids.b}/histograms?name=${encodeURIComponent('grad/layers.0.weight')}`)).body as { kind: string; series: { epoch: number }[] };
  assert.equal(g.kind, 'gradients');
  assert.deepEqual(g.series.map((h) => h.epoch), [0, 1]);
  assert.deepEqual((await get(`/api/runs/${ids.a}/histograms`)).body, { names: [] });
  const unknown = await get(`/api/runs/${ids.b}/histograms?name=layers.9.weight`);
  assert.equal(unknown.status, 404);
  const body = unknown.body as { error: string; names: { name: string }[] };
  assert.match(body.error, /no histograms named 'layers\.9\.weight'; the names are layers\.0\.weight, layers\.0\.bias, grad\/layers\.0\.weight/);
  assert.deepEqual(body.names.map((n) => n.name), ['layers.0.weight', 'layers.0.bias', 'grad/layers.0.weight']);
  assert.equal((await get(`/api/runs/${ids.b}/histograms?name=broken`)).status, 404);
  assert.match(((await get(`/api/runs/${ids.a}/histograms?name=x`)).body as { error: string }).error, /recorded no histograms/);
  assert.equal((await get('/api/runs/nope/histograms')).status, 404);
});

test('/api/runs/:id/confusion: the validation confusion matrices in epoch order, the last of a repeated epoch', async () => {
  const r = await get(`/api/runs/${ids.b}/confusion`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { series: [
    { epoch: 0, step: 150, split: 'val', classes: ['cat', 'dog'], matrix: [[3, 2], [1, 4]] },
    { epoch: 1, step: 300, split: 'val', classes: ['cat', 'dog'], matrix: [[4, 1], [0, 5]] },
  ] });
  assert.deepEqual((await get(`/api/runs/${ids.a}/confusion`)).body, { series: [] });
  assert.equal((await get('/api/runs/nope/confusion')).status, 404);
  assert.match(((await get(`/api/runs/${ids.b}/confusion?epoch=1`)).body as { error: string }).error, /unknown query parameter 'epoch'/);
});

test('/api/compare: curves of several runs and the config diff', async () => {
  const r = await get(`/api/compare?ids=${ids.a},${ids.b}&keys=train/loss&max=100`);
  assert.equal(r.status, 200);
  const c = r.body as { runs: { id: string }[]; curves: Record<string, Record<string, { steps: number[] }>>; configDiff: { key: string; values: Record<string, unknown> }[] };
  assert.deepEqual(c.runs.map((x) => x.id), [ids.a, ids.b]);
  assert.ok(c.curves[ids.a]!['train/loss']!.steps.length <= 100);
  assert.equal(c.curves[ids.b]!['train/loss']!.steps.length, 100);
  assert.deepEqual(c.configDiff.map((d) => d.key), ['epochs', 'optim.lr']);
  assert.deepEqual(c.configDiff[1]!.values, { [ids.a]: 3e-3, [ids.b]: 1e-3 });
  assert.equal((await get(`/api/compare?ids=${ids.a},ghost`)).status, 404);
});

test('/api/runs/:id/artifacts/:name: recorded files only', async () => {
  const png = await fetch(new URL(`/api/runs/${ids.a}/artifacts/curve`, board.url));
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');
  assert.equal(Buffer.from(await png.arrayBuffer()).toString('hex'), '89504e470d0a1a0a');
  const html = await fetch(new URL(`/api/runs/${ids.a}/artifacts/doctor.html`, board.url));
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-security-policy') ?? '', /sandbox/);
  assert.equal((await get(`/api/runs/${ids.a}/artifacts/folder`)).status, 404);
  assert.equal((await get(`/api/runs/${ids.a}/artifacts/nothing`)).status, 404);
  assert.equal((await raw(`/api/runs/${ids.a}/artifacts/..%2F..%2Fetc%2Fpasswd`)).status, 404);
});

test('bad queries are 400s that name the parameter', async () => {
  const cases: [string, RegExp][] = [
    ['/api/runs?status=bogus', /status must be one or more .*running/],
    ['/api/runs?order=up', /order must be one of asc, desc/],
    ['/api/runs?sort=x&reduce=mean', /reduce must be one of last, min, max/],
    ['/api/runs?reduce=min', /reduce needs sort/],
    ['/api/runs?limit=-1', /limit must be an integer from 1/],
    ['/api/runs?limit=abc', /limit must be an integer/],
    ['/api/runs?colour=red', /unknown query parameter 'colour'/],
    [`/api/runs/${ids.a}/metrics?max=1`, /max must be an integer from 8 to 100000/],
    [`/api/runs/${ids.a}/metrics?max=1e3`, /max must be an integer/],
    ['/api/compare', /ids: give the runs to compare/],
    ['/api/live?since=yesterday', /since must be a time in Unix seconds/],
    ['/api/runs/%E0%A4%A', /malformed percent-encoding/],
    ['/api/runs?order=asc&order=desc', /order: give it once/],
    [`/api/runs/${ids.b}/histograms?name=`, /name: give a parameter name/],
    [`/api/runs/${ids.b}/histograms?name=a&name=b`, /name: give it once/],
    [`/api/runs/${ids.b}/histograms?param=layers.0.weight`, /unknown query parameter 'param'; this route takes name/],
    [`/api/runs/${ids.b}/histograms?name=${'x'.repeat(300)}`, /name: a parameter name is at most 256/],
  ];
  for (const [path, pattern] of cases) {
    const r = await raw(path);
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.match((JSON.parse(r.text) as { error: string }).error, pattern, path);
  }
});

test('unknown routes and path traversal are 404s; writes are 405s', async () => {
  for (const path of ['/api/nothing', '/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/.eslintrc', '/web/board/app.js', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/api/runs/x/y/z']) {
    const r = await raw(path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.text.slice(0, 80)}`);
  }
  assert.equal((await raw('/api/runs', 'POST')).status, 405);
  assert.equal((await raw('/api/runs', 'DELETE')).status, 405);
});

test('still answers after 100 malformed requests', async () => {
  const bad = ['/api/runs?limit=%', '/api/runs/%ZZ', '/api/compare?ids=', '/api/runs?sort=' + 'x'.repeat(300), '/api/runs?status=,,,&order=sideways', '/%00', '/api/runs/\u0000', '/api/live?since=-1', '/api/runs?tag=' + 'a,'.repeat(50), '/api/runs/a/metrics?keys=' + 'k,'.repeat(200)];
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => raw(bad[i % bad.length]!.replace('\u0000', '%00')).catch(() => ({ status: -1, text: '' }))));
  for (const r of results) assert.ok(r.status >= 400 && r.status < 500, `got ${r.status}: ${r.text.slice(0, 120)}`);
  const ok = await get('/api/runs');
  assert.equal(ok.status, 200);
});

test('/api/live: Server-Sent Events with new points of a running run', async () => {
  const store = RunStore.open(file);
  let run: Run | undefined;
  const ctl = new AbortController();
  try {
    const res = await fetch(new URL(`/api/live?since=${Math.floor(Date.now() / 1000)}`, board.url), { signal: ctl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    run = init({ store, id: 'live-run', name: 'live', project: 'fashion', flushMs: 0 });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 5000;
    let step = 0;
    const seen = (): boolean => /event: metrics\ndata: .*"live-run".*"live\/loss"/.test(text) && /event: runs\ndata: .*"live-run"/.test(text) && text.includes('null');
    while (!seen() && Date.now() < deadline) {
      run.log({ 'live/loss': step === 1 ? Number.NaN : 1 / (step + 1) }, { step });
      step++;
      const chunk = await Promise.race([reader.read(), new Promise<null>((ok) => setTimeout(() => ok(null), 300))]);
      if (chunk !== null && chunk.value !== undefined) text += decoder.decode(chunk.value, { stream: true });
    }
    assert.ok(seen(), `no live points within 5 s; got:\n${text.slice(0, 2000)}`);
    assert.match(text, /event: hello/);
    run.finish();
    const statusDeadline = Date.now() + 5000;
    while (!/"id":"live-run"[^}]*"status":"completed"/.test(text) && Date.now() < statusDeadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((ok) => setTimeout(() => ok(null), 300))]);
      if (chunk !== null && chunk.value !== undefined) text += decoder.decode(chunk.value, { stream: true });
    }
    assert.match(text, /"id":"live-run"[^}]*"status":"completed"/);
  } finally {
    ctl.abort();
    run?.finish();
    store.close();
  }
});

test('a store that does not exist is a clear error; the CLI exits 2', async () => {
  await assert.rejects(startBoard({ store: join(tmp, 'missing.db'), port: 0 }), /no run store at .*missing\.db/);
  const { UsageError } = await import('../../src/cli/exit.js');
  await assert.rejects(boardCommand(['--store', join(tmp, 'missing.db'), '--port', '0']), (e: unknown) => e instanceof UsageError && /no run store/.test(e.message));
  await assert.rejects(boardCommand(['--port', 'x']), /--port must be an integer/);
});
