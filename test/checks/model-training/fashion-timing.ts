// Times TRAINING_MODEL_CHECKS on Fashion-MNIST with the SmallCNN (batch 32, Adam 1e-3), as the
// doctor would run them. Not a test: node dist/test/checks/model-training/fashion-timing.js
import { torch, nn, optim, models, data, type Tensor } from '../../../src/index.js';
import { contextFromTensors } from '../../../src/checks/context.js';
import { TRAINING_MODEL_CHECKS } from '../../../src/checks/model/training.js';
import { show } from './helpers.js';

const tr = data.loadFashionMnist('train');
const te = data.loadFashionMnist('test');
const norm = (x: Tensor): Tensor => torch.tidy(() => x.to('float32').div(255).sub(0.286).div(0.353).unsqueeze(1).keep());
const train = { inputs: norm(tr.images), targets: tr.labels };
const val = { inputs: norm(te.images), targets: te.labels };
const ctx = await contextFromTensors({
  makeModel: () => new models.SmallCNN(),
  makeOptimizer: (m) => new optim.Adam(m.parameters(), { lr: 1e-3 }),
  loss: (o, t) => nn.crossEntropy(o, t),
  train, val, seed: 0,
});
console.log('threads', torch.getNumThreads());
const t0 = performance.now();
for (const c of TRAINING_MODEL_CHECKS) {
  const r = await c.run(ctx);
  console.log(show(r));
}
console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)}s`);
