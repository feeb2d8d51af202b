// The built-in models against the same architectures written in PyTorch 1.13: same seed, same state
// dict (keys, shapes, values) and repr; Sous weights loaded into PyTorch give the same outputs, input
// gradients, parameter gradients and BatchNorm statistics over train and eval steps (float64, on
// 28×28 and 32×32 inputs); PyTorch weights after AdamW steps loaded into Sous give the same outputs
// and gradients in float32 to 1e-5.

import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/index.js';
import type { AnyModule } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/containers.js';
import * as nn from '../../src/nn/layers/index.js';
import { MLP, SmallCNN, ResNet, resnet8, resnet20, create } from '../../src/models/index.js';
import { paritySuite, pit, rn, ri, assertClose } from '../helpers/parity.js';
import { checkForward, checkInit, layerSeed, pyOut } from '../nn/layers-helpers.js';

/** The PyTorch definitions of the models (docs/models.md shows the same code). */
const PY_DEFS = `
class MLP(nn.Sequential):
    def __init__(self, in_features, num_classes, hidden=(256, 128), dropout=0.2, act=nn.ReLU):
        layers = [nn.Flatten()]
        for h in hidden:
            layers += [nn.Linear(in_features, h), act()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            in_features = h
        layers.append(nn.Linear(in_features, num_classes))
        super().__init__(*layers)

class SmallCNN(nn.Sequential):
    def __init__(self, in_channels=1, num_classes=10, image_size=28, channels=(32, 64), hidden=128, dropout=0.3, batch_norm=True):
        layers, prev, size = [], in_channels, image_size
        for c in channels:
            layers.append(nn.Conv2d(prev, c, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            prev, size = c, size // 2
        layers.append(nn.Flatten())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.Linear(prev * size * size, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
        super().__init__(*layers)

class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)

class ResNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, widths=(32, 64, 128), blocks=(1, 1, 1)):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        inplanes, self.stages = widths[0], len(widths)
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                layers.append(BasicBlock(inplanes, w, 2 if b == 0 and i > 0 else 1))
                inplanes = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))
`;

/** A Python expression that defines the classes above and then evaluates `expr`. */
function py(expr: string): string {
  return `(exec(${JSON.stringify(PY_DEFS)}, globals()), ${expr})[1]`;
}

interface Case {
  name: string;
  make: () => AnyModule;
  py: string;
  /** Example shape ([C, H, W]) and classes. */
  input: [number, number, number];
  classes: number;
}

const CASES: Case[] = [
  { name: 'MLP defaults on 28×28', make: () => new MLP({ inputShape: [1, 28, 28], numClasses: 10 }), py: py('MLP(784, 10)'), input: [1, 28, 28], classes: 10 },
  {
    name: 'MLP gelu, three hidden layers, 3×32×32',
    make: () => new MLP({ inputShape: [3, 32, 32], numClasses: 7, hidden: [64, 32, 16], dropout: 0.1, activation: 'gelu' }),
    py: py('MLP(3 * 32 * 32, 7, hidden=(64, 32, 16), dropout=0.1, act=nn.GELU)'), input: [3, 32, 32], classes: 7,
  },
  { name: 'MLP no dropout, tanh, number input', make: () => new MLP({ inputShape: 1024, numClasses: 4, hidden: [20], dropout: 0, activation: 'tanh' }), py: py('MLP(1024, 4, hidden=(20,), dropout=0, act=nn.Tanh)'), input: [1, 32, 32], classes: 4 },
  { name: 'SmallCNN defaults (28×28)', make: () => new SmallCNN(), py: py('SmallCNN()'), input: [1, 28, 28], classes: 10 },
  { name: 'SmallCNN on 32×32', make: () => new SmallCNN({ imageSize: 32 }), py: py('SmallCNN(image_size=32)'), input: [1, 32, 32], classes: 10 },
  {
    name: 'SmallCNN 3 blocks, no batch norm, RGB 32×32',
    make: () => new SmallCNN({ inputShape: [3, 32, 32], numClasses: 5, channels: [8, 16, 16], hidden: 24, batchNorm: false, dropout: 0.5 }),
    py: py('SmallCNN(3, 5, 32, channels=(8, 16, 16), hidden=24, dropout=0.5, batch_norm=False)'), input: [3, 32, 32], classes: 5,
  },
  { name: 'ResNet resnet8 (28×28)', make: () => resnet8(), py: py('ResNet()'), input: [1, 28, 28], classes: 10 },
  { name: 'ResNet resnet8 on 32×32', make: () => resnet8(), py: py('ResNet()'), input: [1, 32, 32], classes: 10 },
  { name: 'ResNet resnet20 (28×28)', make: () => resnet20(), py: py('ResNet(widths=(16, 32, 64), blocks=(3, 3, 3))'), input: [1, 28, 28], classes: 10 },
  { name: 'ResNet resnet20 on 32×32', make: () => resnet20(), py: py('ResNet(widths=(16, 32, 64), blocks=(3, 3, 3))'), input: [1, 32, 32], classes: 10 },
  {
    name: 'ResNet 4 stages, blocks [2,1,1,1], RGB 32×32',
    make: () => new ResNet({ inChannels: 3, numClasses: 6, widths: [8, 8, 16, 24], blocks: [2, 1, 1, 1] }),
    py: py('ResNet(3, 6, widths=(8, 8, 16, 24), blocks=(2, 1, 1, 1))'), input: [3, 32, 32], classes: 6,
  },
];

paritySuite('built-in models: init, state dict and repr', () => {
  for (const c of CASES) {
    pit(`${c.name}: same seed, same state dict (keys, shapes, values) and repr`, async () => {
      const m = await checkInit(c.make, c.py);
      m.dispose();
    });
  }

  pit('SmallCNN defaults: the keys of the seeds\' model, and its state dict loads', () => {
    const m = new SmallCNN();
    assert.deepEqual(Object.keys(m.stateDict()), [
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
      '4.weight', '4.bias', '5.weight', '5.bias', '5.running_mean', '5.running_var', '5.num_batches_tracked',
      '10.weight', '10.bias', '12.weight', '12.bias',
    ]);
    // The model of examples/fashion-cnn.ts.
    const seeds = new Sequential(
      new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Dropout(0.3), new nn.Linear(64 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10),
    );
    assert.deepEqual(m.loadStateDict(seeds.stateDict()), { missingKeys: [], unexpectedKeys: [] });
    assert.equal(String(m).replace(/^SmallCNN/, 'Sequential'), String(seeds));
    assert.equal(m.numParameters(), 421_834);
    m.dispose();
    seeds.dispose();
  });

  pit('ResNet state dict keys follow torchvision (conv1, layerN.i.downsample, fc)', () => {
    const keys = Object.keys(create('resnet', { preset: 'resnet20' }).stateDict({ keepVars: true }));
    assert.equal(keys[0], 'conv1.weight');
    assert.ok(keys.includes('layer1.2.conv2.weight'));
    assert.ok(!keys.some((k) => k.startsWith('layer1.0.downsample')), 'no projection where stride and width stay');
    assert.ok(keys.includes('layer2.0.downsample.0.weight') && keys.includes('layer3.0.downsample.1.running_var'));
    assert.ok(!keys.includes('layer2.1.downsample.0.weight'));
    assert.deepEqual(keys.slice(-2), ['fc.weight', 'fc.bias']);
  });
});

paritySuite('built-in models: Sous weights in PyTorch, train and eval steps (float64)', () => {
  for (const c of CASES) {
    pit(`${c.name}: outputs, input and parameter gradients, running stats`, async () => {
      torch.manualSeed(layerSeed());
      const m = c.make();
      const modes = [true, true, false, true, false];
      // Seeded alike before every step, dropout draws the same masks on both sides.
      await checkForward(m, c.py, modes.map((train) => ({ x: rn([4, ...c.input], 'float64'), train })), { seed: layerSeed() + 1, rtol: 1e-8, atol: 1e-10 });
      m.dispose();
    });
  }
});

/** PyTorch trains the model a few AdamW steps; Sous loads its state dict and must agree in float32. */
async function checkTrained(c: Case): Promise<void> {
  const seed = layerSeed();
  const xs = rn([3, 8, ...c.input]);
  const ys = ri([3, 8], 0, c.classes);
  const x = rn([6, ...c.input]);
  const g = rn([6, c.classes]);
  const [keys, values, yTrain, xGrad, pGrads, pNames, yEval, after] = await pyOut(`
torch.manual_seed(${seed})
m = ${c.py}
opt = torch.optim.AdamW(m.parameters(), lr=0.01)
for i in range(3):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(m(xs[i]), ys[i]).backward()
    opt.step()
sd = m.state_dict()
keys, values = list(sd.keys()), [v.clone() for v in sd.values()]
m.train()
m.zero_grad(set_to_none=True)
x.requires_grad_(True)
torch.manual_seed(${seed + 1})
y = m(x)
(y * g).sum().backward()
m.eval()
with torch.no_grad():
    ye = m(x)
out = [keys, values, y.detach(), x.grad, [p.grad for p in m.parameters()], [n for n, _ in m.named_parameters()], ye, list(m.state_dict().values())]`,
  { xs, ys, x, g }) as [string[], Tensor[], Tensor, Tensor, Tensor[], string[], Tensor, Tensor[]];
  torch.manualSeed(seed + 2);
  const m = c.make();
  const own = m.stateDict();
  assert.deepEqual(Object.keys(own), keys, 'state dict keys');
  keys.forEach((k, i) => assert.deepEqual(own[k]!.shape, values[i]!.shape, `shape of ${k}`));
  m.loadStateDict(Object.fromEntries(keys.map((k, i) => [k, values[i]!])));
  m.train();
  const xr = x.detach().requiresGrad_(true);
  torch.manualSeed(seed + 1);
  const y = m.call(xr);
  y.mul(g).sum().backward();
  const tol = { rtol: 1e-5, atol: 1e-5 };
  assertClose(y, yTrain, { ...tol, label: 'train-mode output' });
  assertClose(xr.grad!, xGrad, { ...tol, label: 'input grad' });
  const params = [...m.namedParameters()];
  assert.deepEqual(params.map(([n]) => n), pNames, 'parameter names');
  params.forEach(([n, p], i) => assertClose(p.grad!, pGrads[i]!, { ...tol, label: `grad of ${n}` }));
  m.eval();
  assertClose(torch.noGrad(() => m.call(x)), yEval, { ...tol, label: 'eval-mode output' });
  const sd = m.stateDict();
  keys.forEach((k, i) => assertClose(sd[k]!, after[i]!, { ...tol, label: `${k} after the train-mode step` }));
  m.dispose();
}

paritySuite('built-in models: PyTorch weights after AdamW in Sous (float32, 1e-5)', () => {
  for (const c of CASES) pit(`${c.name}`, () => checkTrained(c));
});
