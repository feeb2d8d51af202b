// The model registry: names, option checking (unknown names and options, bad values) with
// ModelConfigError, presets, costs, and that the models run on 28×28 and 32×32 inputs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, optim, nn } from '../../src/index.js';
import { Module } from '../../src/nn/module.js';
import { MLP, SmallCNN, ResNet, BasicBlock, create, names, info, modelCost, resnet8, resnet20, ModelConfigError, RESNET_PRESETS } from '../../src/models/index.js';

function throwsConfig(fn: () => unknown, message: RegExp, fields: { option?: string; allowed?: string[] } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelConfigError, `expected a ModelConfigError, got ${String(e)}`);
    assert.equal(e.name, 'ModelConfigError');
    assert.match(e.message, message);
    if (fields.option !== undefined) assert.equal(e.option, fields.option);
    if (fields.allowed !== undefined) assert.deepEqual(e.allowed, fields.allowed);
    return true;
  });
}

describe('models registry', () => {
  it('names() and info()', () => {
    assert.deepEqual(names(), ['mlp', 'cnn', 'resnet', 'unet']);
    assert.deepEqual(info('mlp').options, ['inputShape', 'numClasses', 'hidden', 'dropout', 'activation']);
    assert.ok(info('resnet').options.includes('preset'));
  });

  it('create() builds each model class', () => {
    torch.tidy(() => {
      const mlp = create('mlp', { inputShape: [1, 28, 28], numClasses: 10 });
      assert.ok(mlp instanceof MLP && mlp instanceof Module);
      assert.deepEqual((mlp as MLP).config, { inputShape: [1, 28, 28], numClasses: 10, hidden: [256, 128], dropout: 0.2, activation: 'relu' });
      assert.ok(create('cnn') instanceof SmallCNN);
      const r = create('resnet');
      assert.ok(r instanceof ResNet);
      assert.deepEqual((r as ResNet).config, { inChannels: 1, numClasses: 10, widths: [32, 64, 128], blocks: [1, 1, 1] });
      assert.ok([...r.modules()].some((m) => m instanceof BasicBlock));
      for (const m of [mlp, r]) m.dispose();
    });
  });

  it('config-shaped options: inputShape and numClasses for every model, then the model file keys', () => {
    torch.tidy(() => {
      const shape = { inputShape: [1, 28, 28] as [number, number, number], numClasses: 10 };
      assert.ok(create('mlp', { ...shape, hidden: [256, 128], dropout: 0.2, activation: 'relu' }) instanceof MLP);
      const cnn = create('cnn', { ...shape, channels: [32, 64], hidden: 128, dropout: 0.3, batchNorm: true }) as SmallCNN;
      assert.deepEqual(cnn.config, { inChannels: 1, imageSize: [28, 28], numClasses: 10, channels: [32, 64], hidden: 128, dropout: 0.3, batchNorm: true });
      assert.deepEqual((create('resnet', { ...shape, preset: 'resnet8' }) as ResNet).config.widths, [32, 64, 128]);
      assert.deepEqual((create('resnet', { inputShape: [3, 32, 32], numClasses: 100 }) as ResNet).config, { inChannels: 3, numClasses: 100, widths: [32, 64, 128], blocks: [1, 1, 1] });
    });
  });

  it('unknown model names throw, naming the models', () => {
    throwsConfig(() => create('transformer'), /unknown model "transformer"; the models are: mlp, cnn, resnet, unet/, { allowed: ['mlp', 'cnn', 'resnet', 'unet'] });
  });

  it('unknown options throw, naming the option and the allowed ones', () => {
    throwsConfig(() => create('resnet', { widht: [8, 16] }), /resnet: unknown option 'widht'; allowed options: preset, inChannels, numClasses, inputShape, imageSize, widths, blocks, depth/, { option: 'widht' });
    throwsConfig(() => create('cnn', { classes: 10 }), /cnn: unknown option 'classes'; allowed options: inChannels, numClasses, imageSize, inputShape, channels, hidden, dropout, batchNorm/);
    throwsConfig(() => create('mlp', { inputShape: 4, numClasses: 2, layers: [3] }), /mlp: unknown option 'layers'.*hidden/);
    // The classes check too (a JS caller or a config file gets past the types).
    throwsConfig(() => new SmallCNN({ bn: false } as never), /cnn: unknown option 'bn'/);
  });

  it('bad values throw, saying what was expected', () => {
    throwsConfig(() => create('cnn', { dropout: 1.5 }), /cnn: option 'dropout' must be a number in \[0, 1\), got 1\.5/, { option: 'dropout' });
    throwsConfig(() => create('cnn', { channels: [] }), /option 'channels' must be an array of at least 1 positive integers, got \[\]/);
    throwsConfig(() => create('mlp', { inputShape: [1, 28.5], numClasses: 3 }), /option 'inputShape' must be a positive integer or an array/);
    throwsConfig(() => create('mlp', { inputShape: 4, numClasses: 3, activation: 'swish' }), /option 'activation' must be one of 'relu', 'gelu', 'silu', 'tanh', 'elu', 'leaky_relu', got "swish"/);
    throwsConfig(() => create('resnet', { preset: 'resnet50' }), /option 'preset' must be one of 'resnet8', 'resnet20', got "resnet50"/);
    throwsConfig(() => create('resnet', { numClasses: 0 }), /option 'numClasses' must be a positive integer, got 0/);
    throwsConfig(() => create('cnn', { batchNorm: 'yes' }), /option 'batchNorm' must be true or false/);
    throwsConfig(() => create('mlp', 5 as never), /mlp: options must be an object, got 5/);
  });

  it('required options and conflicting ones', () => {
    throwsConfig(() => create('mlp', { numClasses: 10 }), /mlp: option 'inputShape' is required/, { option: 'inputShape' });
    throwsConfig(() => create('mlp', { inputShape: 10 }), /option 'numClasses' is required/);
    throwsConfig(() => create('cnn', { inputShape: [3, 32, 32], inChannels: 1 }), /'inChannels' \(1\) disagrees with inputShape \[3,32,32\]/);
    throwsConfig(() => create('cnn', { inputShape: [1, 32, 32], imageSize: 28 }), /'imageSize' \(28\) disagrees/);
    throwsConfig(() => create('cnn', { imageSize: 28, channels: [8, 8, 8, 8, 8] }), /5 conv blocks halve the image 5 times, too many for 28×28/);
  });

  it('resnet: presets, depth and blocks', () => {
    torch.tidy(() => {
      assert.deepEqual(resnet20().config.blocks, [3, 3, 3]);
      assert.deepEqual(resnet20().config.widths, [16, 32, 64]);
      assert.deepEqual(resnet8().config, { inChannels: 1, numClasses: 10, widths: [32, 64, 128], blocks: [1, 1, 1] });
      assert.deepEqual(RESNET_PRESETS.resnet20, { widths: [16, 32, 64], blocks: [3, 3, 3] });
      assert.deepEqual((create('resnet', { widths: [16, 32, 64], depth: 20 }) as ResNet).config.blocks, [3, 3, 3]);
      assert.deepEqual((create('resnet', { preset: 'resnet20', widths: [8, 16, 32, 64] }) as ResNet).config.blocks, [3, 3, 3, 3]);
      assert.deepEqual((create('resnet', { blocks: 2, inputShape: [3, 32, 32] }) as ResNet).config, { inChannels: 3, numClasses: 10, widths: [32, 64, 128], blocks: [2, 2, 2] });
      assert.equal((create('resnet', { preset: 'resnet20' }) as ResNet).stages.length, 3);
    });
    throwsConfig(() => create('resnet', { depth: 21 }), /depth 21 is not 2 \+ 2·n·3 \(n ≥ 1\) for 3 stages; try 8, 14, 20, 32/, { option: 'depth' });
    throwsConfig(() => create('resnet', { depth: 20, blocks: 3 }), /either 'depth' or 'blocks'/);
    throwsConfig(() => create('resnet', { blocks: [1, 1] }), /blocks \[1,1\] has 2 entries for 3 stages/);
  });

  it('the models run on 28×28 and 32×32 (ResNet on any size)', () => {
    torch.tidy(() => {
      for (const s of [28, 32]) {
        const x = torch.randn([3, 1, s, s]);
        assert.deepEqual(create('mlp', { inputShape: [1, s, s], numClasses: 10 }).call(x).shape, [3, 10]);
        assert.deepEqual(create('cnn', { imageSize: s }).call(x).shape, [3, 10]);
        assert.deepEqual(resnet8().call(x).shape, [3, 10]);
        assert.deepEqual(resnet20({ numClasses: 4 }).call(x).shape, [3, 4]);
      }
      assert.deepEqual(resnet8({ inChannels: 3 }).call(torch.randn([2, 3, 64, 48])).shape, [2, 10]);
    });
  });

  it('costs: MACs and parameters per preset', () => {
    torch.tidy(() => {
      // conv 32·28²·9 + conv 64·14²·32·9 + linear 3136·128 + linear 128·10
      assert.deepEqual(modelCost(create('cnn'), [1, 28, 28]), { macs: 4_241_152, params: 421_834 });
      const r8 = modelCost(resnet8(), [1, 28, 28]);
      const r20 = modelCost(resnet20(), [1, 28, 28]);
      assert.equal(r8.params, 308_074);
      assert.equal(r20.params, 272_186);
      assert.ok(r8.macs > 30e6 && r8.macs < 40e6, `resnet8 MACs ${r8.macs}`);
      assert.ok(r20.macs > 25e6 && r20.macs < 35e6, `resnet20 MACs ${r20.macs}`);
      // 32×32 costs (32/28)² as much in the convolutions.
      assert.ok(modelCost(resnet20(), [1, 32, 32]).macs > r20.macs * 1.25);
    });
  });

  it('summary() works on the models', () => {
    torch.tidy(() => {
      const s = resnet8().summary(torch.zeros([1, 1, 28, 28]));
      assert.match(s, /layer2\.0\.downsample\.0 +\| Conv2d +\| \[1, 64, 14, 14\]/);
      assert.match(s, /308\.1 K total params/);
    });
  });

  it('resnet8 learns a fixed batch with AdamW', () => {
    torch.manualSeed(0);
    const m = resnet8({ widths: [8, 16, 32] });
    const opt = new optim.AdamW(m.parameters(), { lr: 0.01 });
    const lossFn = new nn.CrossEntropyLoss();
    const x = torch.randn([16, 1, 28, 28]).keep();
    const y = torch.randint(0, 10, [16]).keep();
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      opt.zeroGrad();
      losses.push(torch.tidy(() => {
        const loss = lossFn.call(m.call(x), y);
        loss.backward();
        return loss.item();
      }));
      opt.step();
    }
    assert.ok(losses.at(-1)! < losses[0]! * 0.7, `loss ${losses[0]} -> ${losses.at(-1)}`);
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
