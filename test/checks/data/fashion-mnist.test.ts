// The data checks on real Fashion-MNIST: a 3000/1000 sample (always; healthy data must pass) and the
// full 60k/10k (with SOUS_DOCTOR_FULL=1: prints each check's time; the whole set must take seconds).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { torch, type Tensor, data } from '../../../src/index.js';
import { DATA_CHECKS } from '../../../src/checks/data/index.js';
import { makeContext } from './helpers.js';

const present = existsSync(process.env.SOUS_FASHION_MNIST_DIR ?? data.FASHION_MNIST_DIR);
const owned: Tensor[] = [];
after(() => { for (const t of owned) t.dispose(); });

async function fmnistContext(nTrain: number, nTest: number) {
  const tr = data.loadFashionMnist('train');
  const te = data.loadFashionMnist('test');
  owned.push(tr.images, tr.labels, te.images, te.labels);
  const [rawTrain, yTrain, rawTest, yTest] = torch.tidy(() => [
    tr.images.narrow(0, 0, nTrain).to('float32').unsqueeze(1).keep(),
    tr.labels.narrow(0, 0, nTrain).keep(),
    te.images.narrow(0, 0, nTest).to('float32').unsqueeze(1).keep(),
    te.labels.narrow(0, 0, nTest).keep(),
  ]);
  const [xTrain, xTest] = torch.tidy(() => [
    rawTrain!.div(255).sub(0.2860).div(0.3530).keep(),
    rawTest!.div(255).sub(0.2860).div(0.3530).keep(),
  ]);
  owned.push(rawTrain!, yTrain!, rawTest!, yTest!, xTrain!, xTest!);
  return makeContext({
    train: { inputs: xTrain!, targets: yTrain! },
    test: { inputs: xTest!, targets: yTest! },
    raw: { train: rawTrain!, test: rawTest! },
    classes: [...data.FASHION_MNIST_CLASSES],
  });
}

describe('data checks on Fashion-MNIST', () => {
  it('Fashion-MNIST is installed (bash scripts/setup.sh installs dataset-fashion-mnist)', () => { assert.ok(present); });

  it('a 3000/1000 sample passes every data check', async () => {
    const ctx = await fmnistContext(3000, 1000);
    for (const check of DATA_CHECKS) {
      const r = await check.run(ctx);
      assert.equal(r.verdict, 'pass', `${r.id}: ${r.verdict}: ${r.summary}`);
    }
  });

  it('the full 60k/10k passes every data check (timings printed; speed belongs to benchmarks, not asserted)', async () => {
    const ctx = await fmnistContext(60000, 10000);
    for (const check of DATA_CHECKS) {
      const r = await check.run(ctx);
      console.log(`${r.id.padEnd(24)} ${r.verdict.padEnd(5)} ${r.seconds.toFixed(3)}s  ${r.summary}`);
      assert.equal(r.verdict, 'pass', `${r.id}: ${r.verdict}: ${r.summary}`);
    }
  });
});
