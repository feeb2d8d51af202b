// The board in a real browser (Debian's chromium driven by playwright-core): the runs table lists
// the runs, a run page draws the logged curve with every point, the comparison shows both runs and
// their config difference, and a point logged while the page is open arrives over the live stream.
// Screenshots go to test-results/board/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

test('the runs table lists both runs', async () => {
  await page.goto(`${board.url}#/`);
  await page.waitForSelector('#runs-table tr[data-run-id]');
  const rows = await page.$$eval('#runs-table tr[data-run-id]', (trs) => trs.map((tr) => [tr.getAttribute('data-run-id'), tr.getAttribute('data-status')]));
  assert.deepEqual(rows.map((r) => r[0]).sort(), [...ids].sort());
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
