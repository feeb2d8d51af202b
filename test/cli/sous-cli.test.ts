// The `sous` command as a user runs it (a child process): help, config errors and their exit codes,
// a small training run and what its folder records, eval and predict on that run, sweeps, the
// example configs in a reduced form, Ctrl-C, and kill -9 at a random step then --resume, which must
// reproduce the uninterrupted run's losses bit for bit.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { repoRoot } from '../helpers/oracle.js';
import { data } from '../../src/index.js';
import { readEventFile, RunStore } from '../../src/track/index.js';

const ROOT = repoRoot();
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const FASHION = join(ROOT, 'configs/fashion.yaml');
/** a small, fast run: 1,000 training samples (900 train / 100 val), 200 test samples, batch 32 */
const SMALL = ['data.limit=1000', 'data.test_limit=200', 'data.batch_size=32', 'trainer.epochs=2', 'model=mlp', 'threads=1'];

interface Ran { code: number | null; stdout: string; stderr: string }

/** The children's environment: the run store in this test's temp folder, not the repository's .sous/. */
const ENV = (): NodeJS.ProcessEnv => ({ ...process.env, SOUS_LEAK_CHECK: '0', SOUS_STORE: join(tmp, 'runs.db') });

function sous(args: string[], opts: { cwd?: string } = {}): Ran {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: 300_000, env: ENV() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runDirs(out: string): string[] {
  return existsSync(out) ? readdirSync(out).sort().map((d) => join(out, d)) : [];
}

function stepLosses(dir: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { kind: string; step: number; loss: number };
    if (r.kind === 'step') {
      assert.ok(!m.has(r.step), `step ${r.step} logged twice in ${dir}`);
      m.set(r.step, r.loss);
    }
  }
  return m;
}

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'sous-cli-')); });
after(() => { rmSync(tmp, { recursive: true, force: true }); });

describe('sous (command line)', () => {
  test('--help on the command and each subcommand answers with usage, examples and exit codes', () => {
    const top = sous(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /commands:[\s\S]*train[\s\S]*eval[\s\S]*predict/);
    for (const cmd of ['train', 'eval', 'predict']) {
      const r = sous([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`usage: sous ${cmd}`));
      assert.match(r.stdout, /exit codes:[\s\S]*130/);
    }
    assert.match(sous(['train', '--help']).stdout, /--resume[\s\S]*--multirun[\s\S]*optim.lr=3e-4/);
    const bad = sous(['trian']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command 'trian'; the commands are train, eval, predict/);
  });

  test('config mistakes exit with code 2 and a message naming the key and the fix', () => {
    const typo = sous(['train', FASHION, 'optim.lrr=0.1', `out_dir=${tmp}/x`]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /optim\.lrr[\s\S]*did you mean[\s\S]*optim\.lr/);
    const badValue = sous(['train', FASHION, 'optim.name=adma', `out_dir=${tmp}/x`]);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /optim\.name.*sgd, adam, adamw, rmsprop.*did you mean adam/);
    const badGroup = sous(['train', FASHION, 'model=resnett', `out_dir=${tmp}/x`]);
    assert.equal(badGroup.code, 2);
    assert.match(badGroup.stderr, /resnett[\s\S]*cnn, mlp, resnet/);
    const missing = sous(['train', join(tmp, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /config file not found/);
    const order = sous(['train', 'optim.lr=1']);
    assert.equal(order.code, 2);
    assert.match(order.stderr, /first argument must be the config file/);
    assert.equal(runDirs(join(tmp, 'x')).length, 0, 'no run folder for a config that does not validate');
  });

  test('--cfg prints the composed config with the overrides and schema defaults applied', () => {
    const r = sous(['train', FASHION, '--cfg', 'model=resnet', 'optim.lr=0.01', 'trainer.max_steps=7']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name: fashion-resnet/);
    assert.match(r.stdout, /preset: resnet8/);
    assert.match(r.stdout, /lr: 0.01/);
    assert.match(r.stdout, /max_steps: 7/);
    assert.doesNotMatch(r.stdout, /defaults:/);
  });

  let runDir = '';
  test('a small run: progress, summary, test accuracy; the run folder records config, seed, git, versions, data hashes, metrics', () => {
    const out = join(tmp, 'runs');
    const r = sous(['train', FASHION, ...SMALL, `out_dir=${out}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /epoch 1\/2/);
    assert.match(r.stdout, /epoch\s+train\/loss\s+train\/acc\s+val\/loss\s+val\/acc\s+lr\s+time\s+best/);
    assert.match(r.stdout, /test \(best weights\): loss [\d.]+, accuracy [\d.]+%/);
    [runDir] = runDirs(out);
    assert.ok(runDir, 'a run folder');
    for (const f of ['config.yaml', 'overrides.yaml', 'run.json', 'metrics.jsonl', 'events.jsonl', 'test.json', 'checkpoints/last.ckpt', 'checkpoints/best.safetensors']) assert.ok(existsSync(join(runDir, f)), f);
    const rec = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.equal(rec.status, 'completed');
    assert.equal(rec.seed, 0);
    assert.match(rec.git.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(typeof rec.git.dirty, 'boolean');
    assert.match(rec.environment.libtorch, /^\d+\.\d+/);
    assert.equal(rec.environment.node, process.version);
    assert.deepEqual(rec.data.sizes, { train: 900, val: 100, test: 200 });
    for (const k of ['dataset', 'train', 'val', 'test']) assert.match(rec.data.hashes[k], /^[0-9a-f]{64}$/);
    assert.equal(rec.choices.model, 'mlp');
    assert.ok(rec.result.test['test/accuracy'] > 0.5, `test accuracy ${rec.result.test['test/accuracy']}`);
    const cfg = readFileSync(join(runDir, 'config.yaml'), 'utf8');
    assert.match(cfg, /limit: 1000/);
    assert.match(readFileSync(join(runDir, 'overrides.yaml'), 'utf8'), /data.limit=1000/);
    const losses = stepLosses(runDir);
    assert.equal(losses.size, 2 * Math.ceil(900 / 32));
    const epochs = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"kind":"epoch"')).map((l) => JSON.parse(l));
    assert.equal(epochs.length, 2);
    assert.ok('val/accuracy' in epochs[1] && 'train/loss' in epochs[1]);
    // the same run in the SQLite store: record, per-step losses (exact), epoch metrics, test metrics
    const store = RunStore.open(join(tmp, 'runs.db'));
    try {
      const info = store.getRun(rec.id)!;
      assert.equal(info.status, 'completed');
      assert.equal(info.seed, 0);
      const stored = store.metrics(rec.id, 'train/loss_step');
      assert.deepEqual(stored.map((m) => [m.step, m.value]), [...losses.entries()]);
      assert.equal(store.metrics(rec.id, 'val/accuracy').length, 2);
      assert.equal(store.metrics(rec.id, 'test/accuracy')[0]!.value, rec.result.test['test/accuracy']);
      assert.equal(store.metrics(rec.id, 'system/rss_mib').length, 2);
      assert.ok(store.metrics(rec.id, 'system/samples_per_s').every((m) => m.value > 0));
      const artifacts = store.artifacts(rec.id).map((a) => a.name);
      for (const a of ['doctor.html', 'media/predictions-epoch-001.png', 'best.safetensors']) assert.ok(artifacts.includes(a), `${a} in ${artifacts.join(', ')}`);
    } finally {
      store.close();
    }
  });

  test('sous eval on the run gives the test metrics training reported; per class and confusion matrix', () => {
    assert.ok(runDir);
    const r = sous(['eval', runDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const trained = JSON.parse(readFileSync(join(runDir, 'test.json'), 'utf8'));
    assert.equal(j.metrics['test/accuracy'], trained.metrics['test/accuracy']);
    assert.equal(j.confusion.length, 10);
    assert.equal(j.confusion.flat().reduce((a: number, b: number) => a + b, 0), 200);
    const text = sous(['eval', runDir, '--split', 'val']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /val split: 100 samples[\s\S]*class\s+accuracy\s+samples[\s\S]*confusion matrix/);
    assert.equal(sous(['eval', tmp]).code, 2);
  });

  test('sous export writes the run as TensorBoard event files with valid framing and CRCs', () => {
    assert.ok(runDir);
    const r = sous(['export', runDir]);
    assert.equal(r.code, 0, r.stderr);
    const file = r.stdout.split(':')[0]!;
    const events = readEventFile(file);
    const tags = new Set(events.flatMap((e) => e.values.map((v) => v.tag)));
    for (const t of ['train/loss_step', 'lr', 'val/accuracy', 'train/loss']) assert.ok(tags.has(t), `${t} in ${[...tags].join(', ')}`);
    const steps = events.filter((e) => e.values.some((v) => v.tag === 'train/loss_step')).length;
    assert.equal(steps, stepLosses(runDir).size);
    assert.ok(events.some((e) => e.values.some((v) => v.plugin?.name === 'hparams')));
    // media: a prediction grid per epoch (image events) and parameter histograms
    for (const f of ['predictions-epoch-001.png', 'predictions-epoch-002.png', 'histograms.jsonl']) assert.ok(existsSync(join(runDir, 'media', f)), f);
    const images = events.flatMap((e) => e.values.filter((v) => v.tag === 'predictions' && v.image));
    assert.equal(images.length, 2);
    assert.ok(tags.has('weights/layers.1.weight') || [...tags].some((t) => t.startsWith('weights/')), [...tags].join(', '));
    assert.ok(events.some((e) => e.values.some((v) => v.histo !== undefined)));
    assert.ok([...tags].some((t) => t.startsWith('gradients/')), 'gradient histograms');
  });

  test('sous predict classifies image files with the run preprocessing; an unreadable file is reported, the rest still classified', () => {
    assert.ok(runDir);
    const ds = data.loadFashionMnist('test');
    const pixels = ds.images.narrow(0, 0, 1).toArray() as Uint8Array;
    const label = Number((ds.labels.toArray() as BigInt64Array)[0]);
    ds.images.dispose();
    ds.labels.dispose();
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0 });
    png.data = Buffer.from(pixels);
    const file = join(tmp, 'sample.png');
    writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
    const broken = join(tmp, 'broken.png');
    writeFileSync(broken, Buffer.from('not an image at all'));
    const r = sous(['predict', runDir, file, broken, '--json', '--top', '2']);
    assert.equal(r.code, 2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].predictions.length, 2);
    assert.ok(lines[0].predictions[0].probability >= lines[0].predictions[1].probability);
    assert.equal(lines[0].predictions[0].class, data.FASHION_MNIST_CLASSES[label], 'the first test image (an ankle boot) is recognised');
    assert.match(lines[1].error, /./);
    assert.equal(lines[1].file, broken);
  });

  test('--multirun runs each combination of a sweep and prints a table of the runs', () => {
    const out = join(tmp, 'sweep');
    const r = sous(['train', FASHION, ...SMALL, 'trainer.epochs=1', 'data.limit=400', `out_dir=${out}`, '--no-test', '-q', '-m', 'optim.lr=1e-3,3e-3']);
    assert.equal(r.code, 0, r.stderr);
    const dirs = runDirs(out);
    assert.equal(dirs.length, 2);
    assert.match(r.stdout, /overrides\s+status\s+best[\s\S]*\noptim.lr=0.001 +completed[\s\S]*\noptim.lr=0.003 +completed/);
    const lrs = dirs.map((d) => readFileSync(join(d, 'config.yaml'), 'utf8').match(/lr: ([\d.e-]+)/)![1]);
    assert.deepEqual(lrs.map(Number).sort(), [1e-3, 3e-3]);
  });

  test('the example configs train in a reduced form (a few steps each)', () => {
    for (const [cfg, extra] of [['fashion.yaml', []], ['fashion-resnet.yaml', ['model.preset=resnet8']]] as const) {
      const out = join(tmp, `example-${cfg}`);
      const r = sous(['train', join(ROOT, 'configs', cfg), ...extra, 'data.limit=300', 'data.test_limit=100', 'trainer.max_steps=3', 'data.batch_size=16', '-q', `out_dir=${out}`]);
      assert.equal(r.code, 0, `${cfg}: ${r.stderr}`);
      assert.match(r.stdout, /status max_steps after 0 epoch\(s\), 3 steps/);
    }
  });

  test('Ctrl-C stops after the current step with a checkpoint (exit 130); --resume finishes the run', async () => {
    const out = join(tmp, 'sigint');
    const child = spawn(process.execPath, [MAIN, 'train', FASHION, ...SMALL, 'model=cnn', 'trainer.epochs=3', `out_dir=${out}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: ENV() });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setInterval(() => {
        const [dir] = runDirs(out);
        if (dir && existsSync(join(dir, 'metrics.jsonl')) && stepLosses(dir).size >= 5) {
          clearInterval(timer);
          child.kill('SIGINT');
        }
      }, 50);
      child.on('exit', (c) => { clearInterval(timer); resolve(c); });
    });
    assert.equal(code, 130, err);
    assert.match(err, /SIGINT: stopping after this step and writing a checkpoint/);
    const [dir] = runDirs(out);
    assert.equal(JSON.parse(readFileSync(join(dir!, 'run.json'), 'utf8')).status, 'interrupted');
    assert.match(readFileSync(join(dir!, 'events.jsonl'), 'utf8'), /"type":"interrupted"/);
    const r = sous(['train', '--resume', dir!, '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir!, 'run.json'), 'utf8')).status, 'completed');
    assert.equal(stepLosses(dir!).size, 3 * Math.ceil(900 / 32));
  });

  test('kill -9 at a random step, then --resume: the losses equal the uninterrupted run, bit for bit', async () => {
    const args = [...SMALL, 'model=cnn', 'model.channels=[4,8]', 'model.hidden=16', 'data.limit=600', 'trainer.checkpoint_every=4', 'trainer.epochs=2', '--no-test', '-q'];
    const fullOut = join(tmp, 'full');
    const full = sous(['train', FASHION, ...args, `out_dir=${fullOut}`]);
    assert.equal(full.code, 0, full.stderr);
    const reference = stepLosses(runDirs(fullOut)[0]!);
    const total = reference.size;
    const killAt = 5 + Math.floor(Math.random() * (total - 10));
    const out = join(tmp, 'killed');
    const child = spawn(process.execPath, [MAIN, 'train', FASHION, ...args, `out_dir=${out}`], { cwd: ROOT, stdio: 'ignore', env: ENV() });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      const timer = setInterval(() => {
        const [dir] = runDirs(out);
        if (dir && existsSync(join(dir, 'metrics.jsonl')) && stepLosses(dir).size >= killAt) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 5);
      child.on('exit', (_c, s) => { clearInterval(timer); resolve(s); });
    });
    assert.equal(signal, 'SIGKILL', `the run ended before step ${killAt} of ${total}`);
    const [dir] = runDirs(out);
    const resumed = sous(['train', '--resume', dir!]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const losses = stepLosses(dir!);
    assert.equal(losses.size, total, `killed at step ~${killAt}`);
    for (const [step, loss] of reference) assert.equal(losses.get(step), loss, `step ${step} (killed at ~${killAt})`);
    assert.equal(JSON.parse(readFileSync(join(dir!, 'run.json'), 'utf8')).status, 'completed');
    assert.equal(JSON.parse(readFileSync(join(dir!, 'run.json'), 'utf8')).resumed.length, 1);
    // the store dropped what the killed process logged after its checkpoint: each step once, the same losses
    const store = RunStore.open(join(tmp, 'runs.db'));
    try {
      const stored = store.metrics(JSON.parse(readFileSync(join(dir!, 'run.json'), 'utf8')).id, 'train/loss_step');
      assert.deepEqual(stored.map((m) => [m.step, m.value]), [...reference.entries()]);
    } finally {
      store.close();
    }
  });

  test('--resume refuses overrides, and a folder that is not a run', () => {
    const a = sous(['train', '--resume', runDir, 'optim.lr=1']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /cannot change it. Start a new run/);
    const b = sous(['train', '--resume', tmp]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /not a run folder|no config.yaml/);
  });
});
