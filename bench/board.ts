// The board's API latency on a large store: 1,000 runs × 10,000 points of one metric (10M rows).
//
//   npx tsc -p tsconfig.json && node dist/bench/board.js [--runs N] [--points N] [--keep]
//
// Builds the store in a temp folder (RunStore.write, one transaction per run), starts the board on
// 127.0.0.1 (port 0) and times, over real HTTP: /api/runs sorted by the metric (last and max),
// /api/runs/:id/metrics (max=1000) and /api/compare of 2 runs; prints the median and p95 latency of
// each, the store's size, and the machine's load average before and after (the timings are only
// comparable at a similar load). Sorting by a metric reads metric_summary (one row per run and key,
// kept by RunStore.write), not the 10M points. There is no PyTorch counterpart to this benchmark.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RunStore, type MetricRow } from '../src/track/index.js';
import { startBoard } from '../src/board/index.js';

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, points: { type: 'string', default: '10000' }, keep: { type: 'boolean', default: false } } });
const RUNS = Number(opt.runs);
const POINTS = Number(opt.points);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function time(label: string, path: () => string, repeats: number, base: string): Promise<void> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeats + 2; i++) {
    const t0 = performance.now();
    const res = await fetch(new URL(path(), base));
    const body = await res.arrayBuffer();
    const dt = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}: ${Buffer.from(body).toString().slice(0, 200)}`);
    bytes = body.byteLength;
    if (i >= 2) ms.push(dt); // two warm-ups
  }
  console.log(`${label.padEnd(48)} median ${quantile(ms, 0.5).toFixed(1).padStart(7)} ms   p95 ${quantile(ms, 0.95).toFixed(1).padStart(7)} ms   (${repeats} requests, ${(bytes / 1024).toFixed(0)} KiB)`);
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load average ${load()}`);
  const dir = mkdtempSync(join(tmpdir(), 'sous-board-bench-'));
  const file = join(dir, 'runs.db');
  try {
    const t0 = performance.now();
    const store = RunStore.open(file);
    const now = Date.now() / 1000;
    let seed = 1;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let r = 0; r < RUNS; r++) {
      const id = `run${String(r).padStart(5, '0')}`;
      store.createRun({ id, name: `sweep-${r}`, project: 'bench', config: { optim: { lr: 10 ** (-4 + 3 * rand()) }, model: r % 2 ? 'cnn' : 'mlp' }, tags: ['bench'], started: now - RUNS + r, status: 'completed', pid: null });
      const rows: MetricRow[] = new Array(POINTS);
      const scale = 0.5 + rand();
      for (let s = 0; s < POINTS; s++) rows[s] = { step: s, epoch: null, key: 'train/loss', value: scale * Math.exp(-s / 3000) + 0.05 * rand(), wallTime: now };
      store.write(id, rows, [], now);
    }
    store.close();
    const built = (performance.now() - t0) / 1000;
    const size = statSync(file).size + (() => { try { return statSync(`${file}-wal`).size; } catch { return 0; } })();
    console.log(`store: ${RUNS} runs × ${POINTS} points (${(RUNS * POINTS / 1e6).toFixed(1)}M rows), ${(size / 2 ** 20).toFixed(0)} MiB, built in ${built.toFixed(1)} s`);

    const board = await startBoard({ store: file, port: 0, log: () => undefined });
    try {
      let i = 0;
      const pick = (): string => `run${String((i++ * 7919) % RUNS).padStart(5, '0')}`;
      await time('/api/runs (newest first)', () => '/api/runs', 20, board.url);
      await time('/api/runs?sort=train/loss (last)', () => '/api/runs?sort=train/loss&reduce=last&order=asc', 20, board.url);
      await time('/api/runs?sort=train/loss&reduce=max', () => '/api/runs?sort=train/loss&reduce=max&order=desc', 20, board.url);
      await time('/api/runs?sort=train/loss&reduce=min', () => '/api/runs?sort=train/loss&reduce=min&order=asc', 20, board.url);
      await time('/api/keys', () => '/api/keys', 20, board.url);
      await time('/api/runs?sort=train/loss&limit=20', () => '/api/runs?sort=train/loss&order=asc&limit=20', 20, board.url);
      await time('/api/runs/:id/metrics?max=1000 (10k points)', () => `/api/runs/${pick()}/metrics?keys=train/loss&max=1000`, 50, board.url);
      await time('/api/compare (2 runs, max=1000)', () => `/api/compare?ids=${pick()},${pick()}&keys=train/loss&max=1000`, 50, board.url);
    } finally {
      await board.close();
    }
    console.log(`load average after: ${load()}`);
    console.log('no PyTorch counterpart: the board is Sous-only (TensorBoard / W&B dashboards are not timed here)');
  } finally {
    if (opt.keep) console.log(`kept ${file}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
