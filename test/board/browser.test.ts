// The board in a real browser (Debian's chromium driven by playwright-core): the runs table lists
// the runs, a run page draws the logged curve with every point, the comparison shows both runs and
// their config difference, a point logged while the page is open arrives over the live stream, and a
// run with media (3 epoch images, 3 epochs of histograms and confusion matrices) gets an image
// slider, a ridge chart and a confusion heatmap with an epoch slider, and a live run that outgrows the
// page's 1,000 points is downsampled again (at most 1,000 points, ending at the newest step).
// Screenshots go to test-results/board/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { startBoard } from '../../src/board/index.js';
import { init, RunStore } from '../../src/track/index.js';
import { repoRoot } from '../helpers/oracle.js';

const CHROMIUM = process.env.SOUS_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(repoRoot(), 'test-results/board');

let dir: string;
let board: Awaited<ReturnType<typeof startBoard>>;
let browser: Browser;
let page: Page;
const ids: string[] = [];
let mediaId: string;

/** A small solid-color PNG (w×h) as the media callback would write one per epoch. */
function png(w: number, h: number, rgb: [number, number, number]): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) img.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(img);
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: bash scripts/setup.sh installs Debian's chromium (or set SOUS_CHROMIUM)`);
  dir = mkdtempSync(join(tmpdir(), 'sous-board-browser-'));
  const db = join(dir, 'runs.db');
  const store = RunStore.open(db);
  for (const [name, lr] of [['cnn-lr-1e-3', 1e-3], ['cnn-lr-3e-3', 3e-3]] as const) {
    const run = init({ store, name, project: 'fashion', config: { optim: { name: 'adamw', lr }, model: { name: 'cnn' } }, tags: ['browser-test'] });
    for (let step = 1; step <= 50; step++) run.log({ 'train/loss': 2.3 * Math.exp(-step * lr * 20) + 0.05 * Math.sin(step), lr }, { step });
    run.event('early_stop', 'no improvement for 3 epochs', {}, { step: 50 });
    run.finish('completed');
    ids.push(run.id);
  }
  // a run with media: predictions-epoch-001..003.png and three epochs of histograms of one parameter
  const media = init({ store, name: 'cnn-media', project: 'vision', config: {}, tags: ['browser-test'] });
  for (let epoch = 0; epoch < 3; epoch++) {
    const step = (epoch + 1) * 10;
    media.log({ 'train/loss': 1 / (epoch + 1) }, { step });
    const file = join(dir, `predictions-epoch-${String(epoch + 1).padStart(3, '0')}.png`);
    writeFileSync(file, png(24 + 8 * epoch, 16, [60 * epoch, 120, 200 - 60 * epoch]));
    media.artifact(`media/predictions-epoch-${String(epoch + 1).padStart(3, '0')}.png`, file, 'image');
    const name = 'layers.1.weight';
    const spread = 1 - epoch * 0.3;
    media.event('histogram', name, { epoch, step, name, min: -spread, max: spread, counts: [1, 4, 9 + epoch * 3, 4, 1] }, { step });
    media.event('histogram', `grad/${name}`, { epoch, step, name: `grad/${name}`, min: -0.1, max: 0.1, counts: [2, 5, 2] }, { step });
    media.event('confusion', 'val', { epoch, step, split: 'val', classes: ['cat', 'dog', 'frog'], matrix: [[5 + epoch, 3 - epoch, 2], [1, 8, 1], [0, 2 - epoch, 8 + epoch]] }, { step });
  }
  media.finish('completed');
  mediaId = media.id;
  store.close();
  board = await startBoard({ store: db, port: 0, log: () => {} });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await board?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the runs table lists the runs', async () => {
  await page.goto(`${board.url}#/`);
  await page.waitForSelector('#runs-table tr[data-run-id]');
  const rows = await page.$$eval('#runs-table tr[data-run-id]', (trs) => trs.map((tr) => [tr.getAttribute('data-run-id'), tr.getAttribute('data-status')]));
  assert.deepEqual(rows.map((r) => r[0]).sort(), [...ids, mediaId].sort());
  assert.ok(rows.every((r) => r[1] === 'completed'));
  await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });
});

test('a run page draws the logged curve with all 50 points, and lists the events', async () => {
  await page.goto(`${board.url}#/run/${ids[0]}`);
  const curve = 'svg.chart path.curve[data-key="train/loss"]';
  await page.waitForSelector(curve);
  assert.equal(await page.getAttribute(curve, 'data-points'), '50');
  assert.equal(await page.getAttribute('#run-page', 'data-run-id'), ids[0]);
  await page.waitForSelector('#events li[data-type="early_stop"]');
  await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
});

test('the comparison shows both runs in the legend and optim.lr in the config diff', async () => {
  await page.goto(`${board.url}#/compare?ids=${ids.join(',')}`);
  await page.waitForSelector('#compare-legend li[data-run-id]');
  const legend = await page.$$eval('#compare-legend li[data-run-id]', (lis) => lis.map((li) => li.getAttribute('data-run-id')));
  assert.deepEqual([...legend].sort(), [...ids].sort());
  await page.waitForSelector('#config-diff tr[data-key="optim.lr"]');
  const curves = await page.$$eval('svg.chart path.curve[data-key="train/loss"]', (ps) => ps.map((p) => p.getAttribute('data-run-id')));
  assert.deepEqual([...curves].sort(), [...ids].sort());
  await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
});

test('media: the image slider steps back to the first epoch; the histogram chart has one ridge per epoch', async () => {
  await page.goto(`${board.url}#/run/${mediaId}`);
  await page.waitForSelector('#image-view[data-index="2"]'); // the newest by default
  assert.equal(await page.getAttribute('#image-view', 'data-name'), 'media/predictions-epoch-003.png');
  assert.equal(await page.textContent('#image-label'), 'epoch 3 of 3');
  await page.fill('#image-slider', '0');
  await page.waitForSelector('#image-view[data-index="0"]');
  assert.equal(await page.getAttribute('#image-view', 'data-name'), 'media/predictions-epoch-001.png');
  assert.equal(await page.textContent('#image-label'), 'epoch 1 of 3');
  await page.waitForFunction(`(() => { const i = document.querySelector('#image-view'); return i.complete && i.naturalWidth > 0; })()`, undefined, { timeout: 5_000 });
  assert.equal(await page.$eval('#image-view', (i) => (i as unknown as { naturalWidth: number }).naturalWidth), 24);
  // histograms: the weights come first in the picker
  await page.waitForSelector('svg.histograms[data-name="layers.1.weight"] path.histogram');
  assert.equal(await page.inputValue('#histogram-param'), 'layers.1.weight');
  const epochs = await page.$$eval('svg.histograms[data-name="layers.1.weight"] path.histogram', (ps) => ps.map((p) => p.getAttribute('data-epoch')));
  assert.deepEqual(epochs, ['0', '1', '2']); // the last drawn (in front) is the newest
  await page.selectOption('#histogram-param', 'grad/layers.1.weight');
  await page.waitForSelector('svg.histograms[data-name="grad/layers.1.weight"]');
  assert.equal(await page.locator('svg.histograms[data-name="grad/layers.1.weight"] path.histogram').count(), 3);
  await page.selectOption('#histogram-param', 'layers.1.weight');
  await page.waitForSelector('svg.histograms[data-name="layers.1.weight"]');
  await page.screenshot({ path: join(SHOTS, 'media.png'), fullPage: true });
});

test('confusion matrix: a heatmap of the newest epoch, the slider steps back; counts or row shares', async () => {
  await page.goto(`${board.url}#/run/${mediaId}`);
  await page.waitForSelector('svg.confusion[data-epoch="2"]');
  assert.equal(await page.textContent('#confusion-label'), 'epoch 3 of 3');
  const counts = () => page.$$eval('svg.confusion rect.cell', (rs) => rs.map((r) => [Number(r.getAttribute('data-row')), Number(r.getAttribute('data-col')), Number(r.getAttribute('data-count'))]));
  const matrix = async () => { const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]; for (const [r, c, n] of await counts()) m[r]![c] = n; return m; };
  assert.equal((await counts()).length, 9);
  assert.deepEqual(await matrix(), [[7, 1, 2], [1, 8, 1], [0, 0, 10]]);
  await page.fill('#confusion-slider', '0');
  await page.waitForSelector('svg.confusion[data-epoch="0"]');
  assert.equal(await page.textContent('#confusion-label'), 'epoch 1 of 3');
  assert.deepEqual(await matrix(), [[5, 3, 2], [1, 8, 1], [0, 2, 8]]);
  // shares of each row by default, counts when unticked
  const texts = () => page.$$eval('svg.confusion text.cell-text', (ts) => ts.map((t) => t.textContent));
  assert.equal((await texts())[0], '.50');
  await page.click('#confusion-normalize');
  await page.waitForFunction(`document.querySelector('svg.confusion text.cell-text')?.textContent === '5'`);
  await page.click('#confusion-normalize');
  // the events list leaves the matrices to the heatmap
  assert.equal(await page.locator('#events li[data-type="confusion"]').count(), 0);
  assert.match((await page.textContent('#events-histograms')) ?? '', /3 confusion matrices/);
  await page.locator('#confusion-section').screenshot({ path: join(SHOTS, 'confusion.png') });
});

test('live: a point logged while the run page is open is drawn without a reload', async () => {
  const store = RunStore.open(join(dir, 'runs.db'));
  const run = init({ store, name: 'live-run', project: 'fashion', config: {}, flushEvery: 1 });
  run.log({ 'train/loss': 1.0 }, { step: 1 });
  run.flush();
  await page.goto(`${board.url}#/run/${run.id}`);
  await page.waitForSelector(`#run-page[data-run-id="${run.id}"]`, { state: 'attached' });
  const curve = `svg.chart path.curve[data-key="train/loss"][data-run-id="${run.id}"]`;
  // one point draws no visible line: wait for the path to exist, not to show
  await page.waitForSelector(curve, { state: 'attached' });
  await page.waitForSelector('#live-status[data-state="on"]', { state: 'attached', timeout: 10_000 });
  run.log({ 'train/loss': 0.5 }, { step: 2 });
  run.flush();
  await page.waitForFunction(`document.querySelector(${JSON.stringify(curve)})?.getAttribute('data-points') === '2'`, undefined, { timeout: 10_000 });
  run.finish('completed');
  store.close();
});

test('live: a curve that outgrows 1,000 points is downsampled again: at most 1,000 points, the last one the newest step', async () => {
  const store = RunStore.open(join(dir, 'runs.db'));
  const run = init({ store, name: 'long-live-run', project: 'fashion', config: {}, flushEvery: 100_000, flushMs: 60_000 });
  // a spike the downsampled curve must keep, and 900 points: shown whole at first
  const loss = (step: number) => (step === 1500 ? 50 : 2 * Math.exp(-step / 2000) + 0.01 * Math.sin(step));
  for (let step = 0; step < 900; step++) run.log({ 'train/loss': loss(step) }, { step });
  run.flush();
  await page.goto(`${board.url}#/run/${run.id}`);
  const curve = `svg.chart path.curve[data-key="train/loss"][data-run-id="${run.id}"]`;
  await page.waitForSelector(curve, { state: 'attached' });
  assert.equal(await page.getAttribute(curve, 'data-points'), '900');
  await page.waitForSelector('#live-status[data-state="on"]', { state: 'attached', timeout: 10_000 });
  // watch the curve's size on every redraw
  await page.evaluate(`(() => {
    window.__maxPoints = 0;
    new MutationObserver(() => {
      const p = document.querySelector(${JSON.stringify(curve)});
      if (p) window.__maxPoints = Math.max(window.__maxPoints, Number(p.getAttribute('data-points')));
    }).observe(document.getElementById('charts'), { subtree: true, childList: true, attributes: true });
  })()`);
  // the page fetches the curve again, downsampled by the server to 800 points (room for 200 live ones)
  const refetches: string[] = [];
  const onRequest = (req: { url(): string }) => { if (req.url().includes(`/api/runs/${run.id}/metrics?`)) refetches.push(req.url()); };
  page.on('request', onRequest);
  // 5,100 more points in 6 flushes, a second or so apart (each a live tick or two)
  let step = 900;
  for (let flush = 0; flush < 6; flush++) {
    for (const end = step + 850; step < end; step++) run.log({ 'train/loss': loss(step) }, { step });
    run.flush();
    await new Promise((r) => setTimeout(r, 700));
  }
  const last = step - 1;
  await page.waitForFunction(`document.querySelector(${JSON.stringify(curve)})?.getAttribute('data-last-step') === '${last}'`, undefined, { timeout: 15_000 });
  // let a refetch that may still be out land
  await page.waitForTimeout(1500);
  const points = Number(await page.getAttribute(curve, 'data-points'));
  assert.ok(points <= 1000 && points >= 500, `the curve keeps at most 1,000 points (has ${points})`);
  assert.equal(await page.getAttribute(curve, 'data-last-step'), String(last));
  assert.ok(Number(await page.evaluate('window.__maxPoints')) <= 1000, 'never drawn with more than 1,000 points');
  page.off('request', onRequest);
  assert.ok(refetches.length >= 1 && refetches.every((u) => u.endsWith('max=800')), `refetched at 800 points: ${refetches.join(' ')}`);
  // the shape survives: the spike at step 1500 is still there (the y axis reaches 50)
  const yTop = await page.$eval(`svg.chart[data-key="train/loss"] g.grid text`, (t) => t.textContent);
  assert.equal(yTop, '50');
  run.finish('completed');
  store.close();
  await page.screenshot({ path: join(SHOTS, 'live-long.png'), fullPage: true });
});
