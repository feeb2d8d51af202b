// Benchmark (not a test): one training step of a Fashion-MNIST-size CNN (three conv blocks, ~98k
// parameters) at batch 128, 512 and 2048, Sous against PyTorch eager in one run; prints the ratio
// and peak memory. PyTorch runs afterwards in a child process (/usr/bin/python3 or $SOUS_PYTHON) with
// the same thread count, so the two never compete for the cores. On CUDA (--device cuda) both sides
// also run the step in bf16 with channels_last, and Sous records it in a CUDA graph.
//
//   node dist/bench/cnn.js [--batches 128,512,2048] [--steps 10] [--threads N] [--device cuda]

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { torch, nn, optim, type Tensor } from '../src/index.js';
import { GraphedTrainStep } from '../src/train/index.js';

const { values: opt } = parseArgs({
  options: {
    batches: { type: 'string', default: '128,512,2048' },
    steps: { type: 'string', default: '10' },
    threads: { type: 'string', default: String(os.cpus().length) },
    // cpu, or cuda (scripts/gpu-check.sh sets SOUS_BENCH_DEVICE=cuda on the GPU machine).
    device: { type: 'string', default: process.env.SOUS_BENCH_DEVICE ?? 'cpu' },
    // Gives the PyTorch process the malloc settings Sous's addon applies (see docs/engine.md).
    'same-malloc': { type: 'boolean', default: false },
  },
});
const batches = opt.batches!.split(',').map(Number);
const steps = Number(opt.steps);
const threads = Number(opt.threads);
const device = opt.device!;
const onCuda = device.startsWith('cuda');
if (onCuda && !torch.cuda.isAvailable()) {
  console.error(`bench/cnn: --device ${device}, but CUDA is not available here`);
  process.exit(2);
}
torch.setNumThreads(threads);
torch.manualSeed(0);

function model(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 3 * 3, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

function vmhwm(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

// The variants: on the CPU the eager step; on CUDA also the step recorded in a CUDA graph, in fp32
// and in bf16 autocast with channels_last weights (what the issue's H100 goal allows).
interface Variant { name: string; graph: boolean; bf16: boolean; channelsLast: boolean }
const VARIANTS: Variant[] = onCuda
  ? [{ name: 'eager fp32', graph: false, bf16: false, channelsLast: false },
    { name: 'graph fp32', graph: true, bf16: false, channelsLast: false },
    { name: 'graph bf16 channels_last', graph: true, bf16: true, channelsLast: true }]
  : [{ name: 'eager fp32', graph: false, bf16: false, channelsLast: false }];

interface Timing { median: number; min: number; params: number; peakMiB: number }

function timeVariant(b: number, v: Variant): Timing {
  const m = model().to(device);
  if (v.channelsLast) m.to({ memoryFormat: 'channels_last' });
  const sgd = new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9, capturable: v.graph });
  const lossFn = new nn.CrossEntropyLoss();
  let x = torch.randn(b, 1, 28, 28).to(device);
  if (v.channelsLast) x = x.contiguous('channels_last');
  x.keep();
  const y = torch.randint(0, 10, [b]).to(device).keep();
  // Autocast's weight cache must be off inside a capture (PyTorch's advice for CUDA graphs).
  const lossOf = (xb: Tensor, yb: Tensor): Tensor => (v.bf16
    ? torch.autocast('cuda', () => lossFn.call(m.call(xb), yb), { dtype: 'bfloat16', cacheEnabled: false })
    : lossFn.call(m.call(xb), yb));
  const graphed = new GraphedTrainStep({ optimizer: sgd, loss: lossOf, graph: v.graph, warmup: 3 });
  const step = (): void => { graphed.run(x, y); };
  if (onCuda) torch.cuda.resetPeakMemoryStats();
  for (let i = 0; i < 5; i++) step();
  if (onCuda) torch.cuda.synchronize();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    if (onCuda) torch.cuda.synchronize();
    times.push(performance.now() - t0);
  }
  times.sort((p, q) => p - q);
  const peakMiB = onCuda ? torch.cuda.maxMemoryAllocated() / 2 ** 20 : 0;
  const out = { median: times[Math.floor(times.length / 2)]!, min: times[0]!, params: m.numParameters(), peakMiB };
  graphed.dispose();
  sgd.dispose();
  m.dispose();
  x.dispose();
  y.dispose();
  return out;
}

const sous: Record<string, Record<number, Timing>> = {};
for (const v of VARIANTS) {
  sous[v.name] = {};
  for (const b of batches) sous[v.name]![b] = timeVariant(b, v);
}
const sousPeak = vmhwm();

const py = process.env.SOUS_PYTHON ?? '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), '../../bench/cnn.py');
const pyEnv = opt['same-malloc'] ? { ...process.env, MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024), MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024) } : process.env;
const pyOut = JSON.parse(execFileSync(py, [script, batches.join(','), String(steps), String(threads), device], { encoding: 'utf8', env: pyEnv }).trim().split('\n').pop()!) as
  { results: Record<string, Record<string, { median_ms: number; min_ms: number; params: number; peak_mib: number }>>; peak_rss_mib: number; torch: string; device_name: string };

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
const first = sous[VARIANTS[0]!.name]![batches[0]!]!;
console.log(`CNN training step (conv16-conv32-conv64 + MLP head, ${first.params} params), SGD momentum, ${onCuda ? `${device} (${pyOut.device_name})` : `CPU, ${threads} threads`}`);
console.log(`machine: ${cpu}, ${os.cpus().length} cores; libtorch ${torch.libtorchVersion()}; PyTorch ${pyOut.torch}; median (min) of ${steps} steps`);
if (!onCuda) console.log(`malloc: Sous keeps blocks up to 32 MiB in the heap (SOUS_MALLOPT=${process.env.SOUS_MALLOPT ?? 'default'}); PyTorch ${opt['same-malloc'] ? 'with the same settings (--same-malloc)' : "with glibc's defaults"}`);
console.log('');
if (!onCuda) {
  console.log('batch      Sous ms     PyTorch ms    Sous/PyTorch');
  for (const b of batches) {
    const s = sous['eager fp32']![b]!;
    const p = pyOut.results['eager fp32']![String(b)]!;
    console.log(`${String(b).padEnd(6)} ${s.median.toFixed(1).padStart(8)} (${s.min.toFixed(1)})  ${p.median_ms.toFixed(1).padStart(8)} (${p.min_ms.toFixed(1)})  ${(s.median / p.median_ms).toFixed(2).padStart(8)}`);
  }
  console.log('');
  console.log(`peak RSS: Sous ${sousPeak.toFixed(0)} MiB, PyTorch ${pyOut.peak_rss_mib.toFixed(0)} MiB`);
} else {
  // Every row against PyTorch eager fp32 at the same batch: > 1 means faster than it.
  console.log('batch  side     variant                        ms (min)          peak MiB   speed-up vs PyTorch eager fp32');
  for (const b of batches) {
    const base = pyOut.results['eager fp32']![String(b)]!.median_ms;
    const row = (side: string, name: string, ms: number, min: number, peak: number): void => {
      console.log(`${String(b).padEnd(6)} ${side.padEnd(8)} ${name.padEnd(30)} ${ms.toFixed(3).padStart(8)} (${min.toFixed(3)})  ${peak.toFixed(0).padStart(8)}   ${(base / ms).toFixed(2)}x`);
    };
    for (const [name, r] of Object.entries(pyOut.results)) row('PyTorch', name, r[String(b)]!.median_ms, r[String(b)]!.min_ms, r[String(b)]!.peak_mib);
    for (const v of VARIANTS) { const r = sous[v.name]![b]!; row('Sous', v.name, r.median, r.min, r.peakMiB); }
  }
  console.log('');
  console.log(`peak RSS (host): Sous ${sousPeak.toFixed(0)} MiB, PyTorch ${pyOut.peak_rss_mib.toFixed(0)} MiB`);
}
