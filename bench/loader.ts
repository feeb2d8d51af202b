// Benchmark (not a test): data loading, Sous's DataLoader against PyTorch's DataLoader with
// torchvision transforms, in one run; prints seconds per epoch, the ratio and peak RSS.
//
//   npx tsc -p tsconfig.json && node dist/bench/loader.js [--workers 0,2] [--epochs 2] [--batch 512]
//                                                           [--max-batches N] [--png-root DIR]
//                                                           [--cases mem,tensors,png]
//
// Cases (batch 512, shuffled):
//   mem      Fashion-MNIST train (60,000 x 1x28x28) in memory: Sous FashionMnist + DataLoader with
//            compose([toFloat(), randomHorizontalFlip(0.5), normalize]) against a torch Dataset over
//            the same idx bytes (gzip + numpy) that makes a PIL image per sample as torchvision's
//            FashionMNIST does, with Compose([ToTensor(), RandomHorizontalFlip(), Normalize]).
//   tensors  Sous DataLoader.fromTensors (whole set as one uint8 tensor, per-sample flips, normalize
//            in the loop) against the same tensor ops in PyTorch (randperm, index_select, where).
//   png      10,000 28x28 grey PNGs in class folders (written once with sharp from Fashion-MNIST into
//            $TMPDIR/sous-bench-pngs, reused): Sous ImageFolder against torchvision ImageFolder (PIL,
//            kept grey as Sous keeps it), randomResizedCrop(28), flip, toFloat/ToTensor, normalize.
// Each case x worker count runs in its own child process (Sous: node, PyTorch: python3 or
// $SOUS_PYTHON, one after the other, never at the same time), so peak RSS is per case. Each runs
// `--epochs` epochs; the table shows the last (warm: JIT, page cache) and the first in parentheses.
// PyTorch's workers are processes started every epoch (persistent_workers=False, its default);
// their peak RSS is shown as "+ W x largest worker". Sous's workers are threads of the one process.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { torch, data } from '../src/index.js';

const { DataLoader, FashionMnist, ImageFolder, loadFashionMnist, compose, toFloat, normalize, randomHorizontalFlip, randomResizedCrop } = data;

const DEFAULT_PNG_ROOT = join(process.env.TMPDIR ?? os.tmpdir(), 'sous-bench-pngs');
const { values: opt } = parseArgs({
  options: {
    workers: { type: 'string', default: '0,2' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '512' },
    'max-batches': { type: 'string', default: '0' },
    'png-root': { type: 'string', default: DEFAULT_PNG_ROOT },
    child: { type: 'string' },
    case: { type: 'string' },
    cases: { type: 'string', default: 'mem,tensors,png' },
  },
});
const epochs = Number(opt.epochs);
const batch = Number(opt.batch);
const maxBatches = Number(opt['max-batches']);
const pngRoot = opt['png-root']!;
const MEAN = [0.286], STD = [0.353];
const PNG_COUNT = 10_000;
const PNG_MARKER = `${PNG_COUNT} grey v2`; // written last; a folder without it (or an older one) is rewritten

function vmhwm(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface CaseResult {
  times: number[];
  samples: number;
  peak_rss_mib: number;
  worker_peak_rss_mib?: number;
  shape?: number[];
}

// ---------------------------------------------------------------- child: one Sous case

async function sousCase(which: string, workers: number): Promise<CaseResult> {
  const times: number[] = [];
  let samples = 0;
  let shape: number[] = [];
  const epoch = async (loader: AsyncIterable<data.Batch>): Promise<void> => {
    samples = 0;
    let b = 0;
    const t0 = performance.now();
    for await (const { inputs, targets } of loader) {
      samples += inputs.shape[0]!;
      if (shape.length === 0) shape = [...inputs.shape];
      inputs.dispose();
      targets.dispose();
      if (maxBatches > 0 && ++b >= maxBatches) break;
    }
    times.push((performance.now() - t0) / 1000);
  };
  if (which === 'mem') {
    const ds = new FashionMnist('train');
    const loader = new DataLoader(ds, { batchSize: batch, shuffle: true, transform: compose([toFloat(), randomHorizontalFlip(0.5), normalize(MEAN, STD)]), numWorkers: workers });
    for (let e = 0; e < epochs; e++) await epoch(loader);
    await loader.close();
  } else if (which === 'tensors') {
    const { images, labels } = loadFashionMnist('train');
    const x4 = images.reshape([-1, 1, 28, 28]).keep();
    const loader = DataLoader.fromTensors(x4, labels, { batchSize: batch, shuffle: true, augment: { horizontalFlip: 0.5 } });
    // normalize in the loop, as the other cases do in their transforms
    const normalized = {
      async *[Symbol.asyncIterator]() {
        for (const b of loader) {
          const inputs = torch.tidy(() => b.inputs.sub(MEAN[0]!).div(STD[0]!));
          b.inputs.dispose();
          yield { ...b, inputs };
        }
      },
    };
    for (let e = 0; e < epochs; e++) await epoch(normalized);
    await loader.close();
    x4.dispose();
    images.dispose();
    labels.dispose();
  } else if (which === 'png') {
    const ds = new ImageFolder(pngRoot);
    const transform = compose([randomResizedCrop(28), randomHorizontalFlip(0.5), toFloat(), normalize(MEAN, STD)]);
    const loader = new DataLoader(ds, { batchSize: batch, shuffle: true, transform, numWorkers: workers });
    for (let e = 0; e < epochs; e++) await epoch(loader);
    await loader.close();
  } else throw new Error(`unknown case ${which}`);
  return { times, samples, peak_rss_mib: vmhwm(), shape };
}

// ---------------------------------------------------------------- the PNG folder

async function ensurePngs(root: string): Promise<void> {
  const marker = join(root, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === PNG_MARKER) return;
  // rewrite only a folder this benchmark made (marker present) or the default one, never a user's folder
  if (existsSync(root) && readdirSync(root).length > 0) {
    if (!existsSync(marker) && root !== DEFAULT_PNG_ROOT) throw new Error(`${root} exists and was not written by this benchmark; pass an empty or new --png-root`);
    rmSync(root, { recursive: true, force: true });
  }
  const t0 = performance.now();
  const { images, labels } = loadFashionMnist('train');
  const px = images.toArray() as Uint8Array;
  const lab = labels.toArray() as BigInt64Array;
  images.dispose();
  labels.dispose();
  for (let c = 0; c < 10; c++) mkdirSync(join(root, `class${c}`), { recursive: true });
  const n = 28 * 28;
  const one = (i: number) => sharp(Buffer.from(px.buffer, px.byteOffset + i * n, n), { raw: { width: 28, height: 28, channels: 1 } })
    .toColourspace('b-w').png().toFile(join(root, `class${lab[i]}`, `${String(i).padStart(5, '0')}.png`));
  for (let s = 0; s < PNG_COUNT; s += 256) await Promise.all(Array.from({ length: Math.min(256, PNG_COUNT - s) }, (_, k) => one(s + k)));
  writeFileSync(marker, PNG_MARKER);
  console.error(`wrote ${PNG_COUNT} PNGs to ${root} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- main: run every case, print the table

async function main(): Promise<void> {
  if (opt.child === 'sous') {
    console.log(JSON.stringify(await sousCase(opt.case!, Number(opt.workers))));
    return;
  }
  const workerCounts = opt.workers!.split(',').map(Number);
  await ensurePngs(pngRoot);
  const pngs = readdirSync(pngRoot, { recursive: true }).filter((f) => String(f).endsWith('.png')).length;

  const self = fileURLToPath(import.meta.url);
  const pyScript = [join(dirname(self), 'loader.py'), join(dirname(self), '../../bench/loader.py')].find((p) => existsSync(p))!;
  const py = process.env.SOUS_PYTHON ?? '/usr/bin/python3';
  const common = ['--epochs', String(epochs), '--batch', String(batch), '--max-batches', String(maxBatches), '--png-root', pngRoot];
  const runSous = (c: string, w: number): CaseResult =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, '--child', 'sous', '--case', c, '--workers', String(w), ...common], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!);
  let pyInfo: { torch: string; torchvision: string; python: string; threads: number } | undefined;
  const runPy = (c: string, w: number): CaseResult => {
    const r = JSON.parse(execFileSync(py, [pyScript, c, String(w), String(epochs), String(batch), pngRoot, String(maxBatches)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!);
    pyInfo = r;
    return r;
  };

  const wanted = new Set(opt.cases!.split(','));
  const cases: { name: string; c: string; w: number }[] = [];
  if (wanted.has('mem')) for (const w of workerCounts) cases.push({ name: `in memory, W=${w}`, c: 'mem', w });
  if (wanted.has('tensors')) cases.push({ name: 'in memory, fromTensors', c: 'tensors', w: 0 });
  if (wanted.has('png')) for (const w of workerCounts) cases.push({ name: `${pngs} PNGs, W=${w}`, c: 'png', w });

  const rows: { name: string; s: CaseResult; p: CaseResult }[] = [];
  for (const k of cases) {
    const s = runSous(k.c, k.w);
    const p = runPy(k.c, k.w);
    rows.push({ name: k.name, s, p });
    console.error(`  ${k.name}: Sous ${s.times.map((t) => t.toFixed(2)).join(', ')} s, PyTorch ${p.times.map((t) => t.toFixed(2)).join(', ')} s`);
  }

  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
  console.log(`Data loading, batch ${batch}, shuffled, seconds per epoch${maxBatches > 0 ? ` (first ${maxBatches} batches only, not a full epoch)` : ' (full epoch)'}; last of ${epochs} epochs, first in ( )`);
  console.log(`machine: ${cpu}, ${os.cpus().length} cores; Node ${process.version}; libtorch ${torch.libtorchVersion()}; sharp ${sharp.versions.sharp}`);
  console.log(`PyTorch side: Python ${pyInfo?.python}, torch ${pyInfo?.torch}, torchvision ${pyInfo?.torchvision}, ${pyInfo?.threads} intra-op thread(s)`);
  console.log('fromTensors row: PyTorch side is the same tensor ops (randperm, index_select, where-flip, normalize), no DataLoader');
  console.log('');
  const last = (r: CaseResult) => r.times[r.times.length - 1]!;
  const cell = (r: CaseResult) => `${last(r).toFixed(2)} (${r.times[0]!.toFixed(2)})`;
  console.log(`${'case'.padEnd(24)} ${'Sous s'.padStart(13)} ${'PyTorch s'.padStart(13)} ${'Sous/PyTorch'.padStart(12)}   ${'Sous RSS'.padStart(9)}   PyTorch RSS (main + W x largest worker)`);
  for (const { name, s, p } of rows) {
    const pr = `${p.peak_rss_mib.toFixed(0)} MiB` + ((p.worker_peak_rss_mib ?? 0) > 0 ? ` + ${name.endsWith('W=0') ? 0 : name.split('W=')[1]} x ${p.worker_peak_rss_mib!.toFixed(0)} MiB` : '');
    console.log(`${name.padEnd(24)} ${cell(s).padStart(13)} ${cell(p).padStart(13)} ${(last(s) / last(p)).toFixed(2).padStart(12)}   ${(s.peak_rss_mib.toFixed(0) + ' MiB').padStart(9)}   ${pr}`);
    if (s.samples !== p.samples) console.log(`  (samples differ: Sous ${s.samples}, PyTorch ${p.samples})`);
    if (p.shape !== undefined && s.shape?.join('x') !== p.shape.join('x')) console.log(`  (batch shapes differ: Sous ${s.shape?.join('x')}, PyTorch ${p.shape.join('x')})`);
  }
  console.log('');
  console.log('goal: Sous/PyTorch <= 0.5');
}

await main();
