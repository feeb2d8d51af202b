// Inpainting end to end from configs/inpaint.yaml on a small slice of Fashion-MNIST: training with
// random holes, val PSNR/SSIM, reconstructions every epoch, the test report with the baselines, the
// doctor's checks on the task, and the config errors that keep a classification setting out of it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { trainRun, loadExperiment, experimentDoctor } from '../../src/experiment/index.js';
import { runChecks, ALL_CHECKS } from '../../src/checks/index.js';
import { ConfigError } from '../../src/config/index.js';
import { repoRoot } from '../helpers/oracle.js';
import { evalCommand } from '../../src/cli/eval.js';

const CONFIG = join(repoRoot(), 'configs', 'inpaint.yaml');
let out = '';
let inpaintRun = '';
before(() => { out = mkdtempSync(join(tmpdir(), 'sous-inpaint-')); });
after(() => { rmSync(out, { recursive: true, force: true }); });

const small = () => [`out_dir=${out}`, 'data.limit=1500', 'data.test_limit=300', 'model.channels=[8,16]', 'model.bottleneck_channels=16', 'trainer.epochs=2', 'data.batch_size=50', 'trainer.checkpoint_every=null'];

describe('inpainting from configs/inpaint.yaml', () => {
  it('trains, validates with PSNR/SSIM, logs reconstructions and reports the model beside the baselines', async () => {
    const r = await trainRun(CONFIG, small(), { noTest: false });
    assert.equal(r.result.status, 'completed');
    const last = r.result.history.at(-1)!.metrics;
    for (const k of ['val/loss', 'val/psnr', 'val/ssim']) assert.ok(Number.isFinite(last[k]), `${k} = ${last[k]}`);
    assert.ok(last['val/psnr']! > 12, `val/psnr ${last['val/psnr']}`);
    assert.equal(r.result.best?.metric, 'val/psnr');
    for (const k of ['test/psnr', 'test/ssim', 'test/ssim_wang']) assert.ok(Number.isFinite(r.test![k]), k);
    const media = readdirSync(join(r.run.dir, 'media')).filter((f) => f.startsWith('reconstructions-epoch-'));
    assert.deepEqual(media, ['reconstructions-epoch-001.png', 'reconstructions-epoch-002.png']);
    const png = PNG.sync.read(readFileSync(join(r.run.dir, 'media', media[0]!)));
    assert.ok(png.width > 8 * 28 && png.height > 3 * 28, `a grid of 3 rows of 8 images, got ${png.width}×${png.height}`);
    const rep = r.inpainting!;
    assert.equal(rep.hole, 12);
    assert.equal(rep.images, 300);
    assert.deepEqual(rep.methods.map((m) => m.method), ['model (unet)', 'mean fill', 'smooth fill', 'nearest training image']);
    for (const m of rep.methods) assert.ok(m.psnr > 5 && m.psnr < 60 && m.ssim > 0 && m.ssim <= 1, JSON.stringify(m));
    const mean = rep.methods.find((m) => m.method === 'mean fill')!;
    const smooth = rep.methods.find((m) => m.method === 'smooth fill')!;
    assert.ok(smooth.psnr > mean.psnr, 'smooth fill beats mean fill');
    const saved = JSON.parse(readFileSync(join(r.run.dir, 'test.json'), 'utf8'));
    assert.equal(saved.inpainting.methods.length, 4);
    const rec = JSON.parse(readFileSync(join(r.run.dir, 'run.json'), 'utf8'));
    assert.equal(rec.data.task, 'inpainting');
    assert.deepEqual(rec.data.inputShape, [2, 28, 28]);
    assert.ok(existsSync(join(r.run.dir, 'checkpoints', 'best.safetensors')));
    inpaintRun = r.run.dir;
  });

  it('sous eval --report adds a Fréchet distance on the features of a classifier trained by Sous', async () => {
    assert.ok(inpaintRun !== '', 'needs the run of the first test');
    const cls = await trainRun(join(repoRoot(), 'configs', 'fashion.yaml'), [`out_dir=${out}`, 'data.limit=1000', 'data.test_limit=300', 'trainer.epochs=1', 'model.channels=[8,16]', 'model.hidden=32', 'trainer.checkpoint_every=null']);
    assert.equal(cls.result.status, 'completed');
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await evalCommand([inpaintRun, '--report', '--frechet-classifier', cls.run.dir, '--json']);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    const j = JSON.parse(written.join(''));
    assert.ok(Number.isFinite(j.metrics['test/psnr']));
    const rep = j.inpainting;
    assert.equal(rep.frechet.name, "Fréchet distance on Sous's own Fashion-MNIST classifier features");
    assert.match(rep.frechet.note, /not comparable to published FID/);
    assert.ok(rep.frechet.trainVsTest >= 0 && Number.isFinite(rep.frechet.trainVsTest));
    for (const m of rep.methods) assert.ok(Number.isFinite(m.frechet) && m.frechet >= 0, `${m.method}: ${m.frechet}`);
    const byName = Object.fromEntries(rep.methods.map((m: { method: string; frechet: number }) => [m.method, m.frechet]));
    assert.ok(byName['smooth fill'] < byName['mean fill'], `smooth fill (${byName['smooth fill']}) is closer to the real images than mean fill (${byName['mean fill']})`);
    await assert.rejects(evalCommand([inpaintRun, '--report', '--frechet-classifier', inpaintRun, '--json']), /frechet_classifier: .* is an inpainting run; give a classification run/);
  });

  it('the doctor runs every check on the task without an error, and loss at init is judged against the target variance', async () => {
    const exp = loadExperiment(CONFIG, small());
    const d = await experimentDoctor(exp);
    try {
      const report = await runChecks(ALL_CHECKS.filter((c) => c.cost !== 'expensive'), d.ctx);
      const errors = report.results.filter((x) => x.verdict === 'error');
      assert.deepEqual(errors.map((e) => `${e.id}: ${e.summary}`), []);
      const init = report.results.find((x) => x.id === 'loss-at-init')!;
      assert.match(init.summary, /loss at init/);
      assert.equal(init.evidence.expectedFrom, 'the loss of predicting the training prior on this batch');
      const act = report.results.find((x) => x.id === 'output-activation')!;
      assert.equal(act.verdict, 'pass', act.summary);
      assert.match(act.summary, /bounded by sigmoid/);
      assert.equal(report.results.find((x) => x.id === 'label-distribution')!.verdict, 'skip');
    } finally {
      await d.close();
    }
  });

  it('a classification setting in an inpainting config is an error that names the key and the fix', () => {
    const bad: [string[], RegExp][] = [
      [['loss.name=cross_entropy'], /loss\.name: inpainting predicts pixels.*loss\.name=l1/],
      [['model=cnn'], /model\.name: 'cnn' is a classifier.*model=unet/],
      [['data.normalize=true'], /data\.normalize=false/],
      [['trainer.monitor=val/accuracy'], /trainer\.monitor=val\/psnr/],
      [['inpaint.hole_min=20', 'inpaint.hole_max=10'], /inpaint\.hole_max \(10\) must be >= inpaint\.hole_min \(20\)/],
      [['inpaint.hole_size=3'], /inpaint\.hole_size/],
    ];
    for (const [o, re] of bad) assert.throws(() => loadExperiment(CONFIG, o), (e: unknown) => e instanceof ConfigError && re.test(e.message), o.join(' '));
    assert.throws(() => loadExperiment(join(repoRoot(), 'configs', 'fashion.yaml'), ['loss.name=l1']), /classification uses cross_entropy/);
  });
});
