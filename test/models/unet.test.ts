// The inpainting U-Net (src/models/unet.ts) and its convolutions (src/nn/layers/inpainting-conv.ts):
// shapes on 28×28, 32×32 and odd sizes; parameter counts with skips on and off; gradients reach every
// parameter; PartialConv2d against the paper's formula written out with unfold; GatedConv2d and the
// whole U-Net (standard, partial, gated) against the same definitions in PyTorch 1.13 (same seed,
// same state dict and repr; Sous weights loaded into PyTorch give the same outputs, input and
// parameter gradients and BatchNorm statistics in float64); option errors.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/index.js';
import { PartialConv2d, GatedConv2d } from '../../src/nn/layers/index.js';
import * as nnAll from '../../src/nn/index.js';
import { UNet, create, info, names, modelCost, ModelConfigError, type UNetOptions } from '../../src/models/index.js';
import { paritySuite, pit, assertClose } from '../helpers/parity.js';
import { checkForward, checkInit, layerSeed, pyOut } from '../nn/layers-helpers.js';

/** The PyTorch definitions (docs/models.md shows the same code). */
const PY_DEFS = `
import torch.nn.functional as F

class PartialConv2d(nn.Conv2d):
    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.ones_like(x[:, :1])
        mask = mask.detach().to(x.dtype)
        with torch.no_grad():
            c = mask.shape[1]
            msum = mask if c == 1 else mask.sum(1, keepdim=True)
            ones = torch.ones(1, 1, *self.kernel_size, dtype=x.dtype)
            count = F.conv2d(msum, ones, None, self.stride, self.padding, self.dilation)
            valid = (count > 0).to(x.dtype)
            ratio = count.clamp(min=1e-8).reciprocal() * (c * self.kernel_size[0] * self.kernel_size[1]) * valid
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding, self.dilation) * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * valid
        return out, valid

class GatedConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, bias=True, activation='elu'):
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, k, stride=stride, padding=padding, dilation=dilation, bias=bias)
        self.activation = {'elu': nn.ELU, 'relu': nn.ReLU, 'leaky_relu': lambda: nn.LeakyReLU(0.2), 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid, 'none': nn.Identity}[activation]()

    def forward(self, x):
        f, g = self.conv(x).chunk(2, 1)
        return self.activation(f) * torch.sigmoid(g)

def make_conv(kind, cin, cout, stride=1, padding=1, dilation=1):
    if kind == 'partial':
        return PartialConv2d(cin, cout, 3, stride=stride, padding=padding, dilation=dilation)
    if kind == 'gated':
        return GatedConv2d(cin, cout, 3, stride=stride, padding=padding, dilation=dilation, activation='none')
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=padding, dilation=dilation)

def run_conv(conv, x, m):
    if isinstance(conv, PartialConv2d):
        return conv(x, m)
    return conv(x), m

def make_norm(norm, c):
    return nn.BatchNorm2d(c) if norm == 'batch' else nn.Identity()

class UNetConvUnit(nn.Module):
    def __init__(self, cin, cout, kind, norm, dilation=1):
        super().__init__()
        self.conv = make_conv(kind, cin, cout, padding=dilation, dilation=dilation)
        self.norm = make_norm(norm, cout)
        self.act = nn.ReLU()

    def forward(self, x, m):
        x, m = run_conv(self.conv, x, m)
        return self.act(self.norm(x)), m

class UNetBlock(nn.Module):
    def __init__(self, cin, cout, kind, norm):
        super().__init__()
        self.conv1 = make_conv(kind, cin, cout)
        self.norm1 = make_norm(norm, cout)
        self.conv2 = make_conv(kind, cout, cout)
        self.norm2 = make_norm(norm, cout)
        self.act = nn.ReLU()

    def forward(self, x, m):
        x, m = run_conv(self.conv1, x, m)
        x = self.act(self.norm1(x))
        x, m = run_conv(self.conv2, x, m)
        return self.act(self.norm2(x)), m

class UNet(nn.Module):
    def __init__(self, in_channels=2, out_channels=None, channels=(32, 64), skips=None, dilations=(2, 4), bottleneck_channels=None,
                 conv='standard', norm='batch', down='maxpool', up='transpose', output_activation='sigmoid', mask_channel=True):
        super().__init__()
        L = len(channels)
        self.skips = [True] * L if skips is None else list(skips)
        self.kind, self.mask_channel = conv, mask_channel
        if out_channels is None:
            out_channels = in_channels - 1 if mask_channel else in_channels
        cb = bottleneck_channels or 2 * channels[-1]
        encs, downs = [], []
        prev = in_channels - 1 if conv == 'partial' and mask_channel else in_channels
        for c in channels:
            encs.append(UNetBlock(prev, c, conv, norm))
            downs.append(nn.MaxPool2d(2, ceil_mode=True) if down == 'maxpool' else make_conv(conv, c, c, stride=2))
            prev = c
        bottleneck = []
        for d in dilations:
            bottleneck.append(UNetConvUnit(prev, cb, conv, norm, d))
            prev = cb
        ups, decs = [], []
        for i in reversed(range(L)):
            c = channels[i]
            if up == 'transpose':
                ups.append(nn.ConvTranspose2d(prev, c, 2, stride=2))
                uc = c
            else:
                ups.append(nn.Upsample(scale_factor=2, mode=up))
                uc = prev
            decs.append(UNetBlock(uc + (c if self.skips[i] else 0), c, conv, norm))
            prev = c
        self.enc = nn.ModuleList(encs)
        self.down = nn.ModuleList(downs)
        self.bottleneck = nn.ModuleList(bottleneck)
        self.up = nn.ModuleList(ups[::-1])
        self.dec = nn.ModuleList(decs[::-1])
        self.head = nn.Conv2d(prev, out_channels, 1)
        self.activation = nn.Sigmoid() if output_activation == 'sigmoid' else nn.Identity()

    def forward(self, inp):
        x, m = inp, None
        if self.kind == 'partial':
            if self.mask_channel:
                x, m = inp[:, :-1], (1 - inp[:, -1:]).detach()
            else:
                m = torch.ones_like(inp[:, :1])
        feats = []
        for enc, down in zip(self.enc, self.down):
            x, m = enc(x, m)
            feats.append((x, m))
            if isinstance(down, nn.MaxPool2d):
                if m is not None:
                    x, m = down(x * m), down(m)
                else:
                    x = down(x)
            else:
                x, m = run_conv(down, x, m)
        for b in self.bottleneck:
            x, m = b(x, m)
        for i in reversed(range(len(self.enc))):
            s, sm = feats[i]
            h, w = s.shape[-2:]
            x = self.up[i](x)[..., :h, :w]
            if m is not None:
                m = F.interpolate(m, scale_factor=2, mode='nearest')[..., :h, :w]
            if self.skips[i]:
                if m is not None:
                    m = torch.cat([m.expand(-1, x.shape[1], -1, -1), sm.expand(-1, s.shape[1], -1, -1)], 1)
                x = torch.cat([x, s], 1)
            x, m = self.dec[i](x, m)
        return self.activation(self.head(x))
`;

/** A Python expression that defines the classes above and then evaluates `expr`. */
function py(expr: string): string {
  return `(exec(${JSON.stringify(PY_DEFS)}, globals()), ${expr})[1]`;
}

/** A small deterministic generator for hole rectangles. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Hole masks [B, 1, H, W] (1 = hole): one rectangle per sample (sides size to size + 0.25 of the image's), plus a few stray pixels. */
function holes(b: number, h: number, w: number, seed = 1, size = 0.35): Tensor {
  const r = lcg(seed);
  const a = new Float32Array(b * h * w);
  for (let n = 0; n < b; n++) {
    const hh = Math.max(1, Math.floor(h * (size + 0.25 * r())));
    const ww = Math.max(1, Math.floor(w * (size + 0.25 * r())));
    const top = Math.floor(r() * (h - hh + 1));
    const left = Math.floor(r() * (w - ww + 1));
    for (let i = top; i < top + hh; i++) for (let j = left; j < left + ww; j++) a[n * h * w + i * w + j] = 1;
    for (let k = 0; k < 3; k++) a[n * h * w + Math.floor(r() * h) * w + Math.floor(r() * w)] = 1;
  }
  return torch.fromTypedArray(a, [b, 1, h, w]);
}

/** Inpainting input [B, C+1, H, W]: images in [0, 1) with the hole zeroed, then the hole mask. */
function inpaintInput(b: number, c: number, h: number, w: number, seed = 1): Tensor {
  const m = holes(b, h, w, seed);
  return torch.cat([torch.rand([b, c, h, w]).mul(m.neg().add(1)), m], 1);
}

function throwsConfig(fn: () => unknown, message: RegExp, option?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelConfigError, `expected a ModelConfigError, got ${String(e)}`);
    assert.match(e.message, message);
    if (option !== undefined) assert.equal(e.option, option);
    return true;
  });
}

const CONVS = ['standard', 'partial', 'gated'] as const;

describe('unet: registry, options and shapes', () => {
  it('is registered as unet and exported with its layers', () => {
    assert.ok(names().includes('unet'));
    assert.deepEqual(info('unet').options, ['inputShape', 'inChannels', 'imageSize', 'outChannels', 'maskChannel', 'channels', 'skips', 'dilations',
      'bottleneckChannels', 'conv', 'norm', 'down', 'up', 'outputActivation']);
    assert.equal(nnAll.PartialConv2d, PartialConv2d);
    assert.equal(nnAll.GatedConv2d, GatedConv2d);
    torch.tidy(() => {
      const m = create('unet', { inputShape: [2, 28, 28] });
      assert.ok(m instanceof UNet);
      assert.deepEqual((m as UNet).config, {
        inChannels: 2, outChannels: 1, maskChannel: true, channels: [32, 64], skips: [true, true], dilations: [2, 4], bottleneckChannels: 128,
        conv: 'standard', norm: 'batch', down: 'maxpool', up: 'transpose', outputActivation: 'sigmoid',
      });
      assert.equal(m.numParameters(), 467_521);
      assert.deepEqual(modelCost(m, [2, 28, 28]), { macs: 75_941_376, params: 467_521 });
      assert.equal(new UNet().numParameters(), 467_521, 'the defaults are 1 image channel + the mask');
      m.dispose();
    });
  });

  it('output shapes on 28×28, 32×32 and sizes not divisible by 2^levels, for every conv, down and up', () => {
    const sizes: [number, number][] = [[28, 28], [32, 32], [13, 9], [7, 7], [5, 11], [2, 3]];
    for (const conv of CONVS) {
      for (const [down, up] of [['maxpool', 'transpose'], ['conv', 'nearest'], ['maxpool', 'bilinear']] as const) {
        for (const [h, w] of sizes) {
          torch.tidy(() => {
            const m = new UNet({ inputShape: [4, h, w], channels: [4, 8, 8], dilations: [2, 4, 8], conv, down, up });
            const y = m.call(inpaintInput(2, 3, h, w));
            assert.deepEqual(y.shape, [2, 3, h, w], `${conv} ${down} ${up} ${h}×${w}`);
            const v = y.toNumbers();
            assert.ok(v.every((e) => e > 0 && e < 1), 'sigmoid output in (0, 1)');
            m.dispose();
          });
        }
      }
    }
  });

  it('outChannels, maskChannel false, outputActivation none, norm none', () => {
    torch.tidy(() => {
      const a = new UNet({ inputShape: [2, 28, 28], outChannels: 3, channels: [4, 8] });
      assert.deepEqual(a.call(inpaintInput(1, 1, 28, 28)).shape, [1, 3, 28, 28]);
      for (const conv of CONVS) {
        const b = new UNet({ inputShape: [3, 16, 16], maskChannel: false, channels: [4], dilations: [2], conv, norm: 'none', outputActivation: 'none' });
        assert.equal(b.config.outChannels, 3);
        assert.ok(![...b.modules()].some((m) => m.constructor.name === 'BatchNorm2d'));
        const x = torch.randn([2, 3, 16, 16]);
        const y = b.call(x);
        assert.deepEqual(y.shape, [2, 3, 16, 16]);
        torch.manualSeed(9);
        const logits = new UNet({ inputShape: [3, 16, 16], maskChannel: false, channels: [4], dilations: [2], conv, norm: 'none', outputActivation: 'none' });
        torch.manualSeed(9);
        const sig = new UNet({ inputShape: [3, 16, 16], maskChannel: false, channels: [4], dilations: [2], conv, norm: 'none' });
        assertClose(sig.call(x), logits.call(x).sigmoid(), { rtol: 0, atol: 0, label: 'outputActivation none gives the logits' });
      }
    });
  });

  it('skips: parameter counts with each skip on and off', () => {
    const channels = [8, 16, 32];
    const base: UNetOptions = { inputShape: [2, 32, 32], channels, dilations: [2] };
    for (const conv of CONVS) {
      const count = (skips: UNetOptions['skips']) => {
        const m = new UNet({ ...base, conv, skips });
        const n = m.numParameters();
        m.dispose();
        return n;
      };
      const none = count('none');
      const all = count('all');
      // A skip widens the input of dec.i's first 3×3 conv by channels[i]: 9·c·c more weights (gated: twice).
      const per = (c: number) => (conv === 'gated' ? 2 : 1) * 9 * c * c;
      assert.equal(all - none, channels.reduce((s, c) => s + per(c), 0), conv);
      assert.equal(count([true, true, true]), all);
      assert.equal(count([false, false, false]), none);
      assert.equal(count('inner'), all - per(8), `${conv}: 'inner' leaves out the outermost skip`);
      assert.equal(count([false, true, true]), count('inner'));
      assert.equal(count([true, false, true]), all - per(16));
      assert.equal(count([false, false, true]), none + per(32));
    }
    const inner = new UNet({ ...base, skips: 'inner' });
    assert.deepEqual(inner.config.skips, [false, true, true]);
    assert.equal((inner.dec.at(0).conv1 as unknown as { inChannels: number }).inChannels, 8, 'dec.0: the upsampled maps only');
    assert.equal((inner.dec.at(1).conv1 as unknown as { inChannels: number }).inChannels, 32, 'dec.1: upsampled maps and the skip');
    inner.dispose();
  });

  it('the gradient reaches every parameter (each conv type, both downsamplings)', () => {
    for (const conv of CONVS) {
      for (const down of ['maxpool', 'conv'] as const) {
        torch.tidy(() => {
          torch.manualSeed(3);
          const m = new UNet({ inputShape: [2, 28, 28], channels: [4, 8], dilations: [2, 4], conv, down });
          const x = inpaintInput(4, 1, 28, 28);
          m.call(x).mul(torch.randn([4, 1, 28, 28])).sum().backward();
          for (const [name, p] of m.namedParameters()) {
            assert.ok(p.grad !== null, `${conv}/${down}: ${name} has no gradient`);
            assert.ok(p.grad.abs().sum().item() > 0, `${conv}/${down}: ${name}'s gradient is all zero`);
          }
          m.dispose();
        });
      }
    }
  });

  it('partial: the output does not depend on the pixel values inside the hole', () => {
    torch.tidy(() => {
      for (const conv of CONVS) {
        torch.manualSeed(5);
        const m = new UNet({ inputShape: [2, 28, 28], channels: [4, 8], conv }).eval();
        const x = inpaintInput(2, 1, 28, 28);
        const hole = x.narrow(1, 1, 1);
        const noise = torch.rand([2, 1, 28, 28]).mul(hole);
        const x2 = torch.cat([x.narrow(1, 0, 1).add(noise), hole], 1);
        const d = torch.noGrad(() => m.call(x).sub(m.call(x2)).abs().max().item());
        if (conv === 'partial') assert.equal(d, 0, 'partial convolutions ignore the hole');
        else assert.ok(d > 0, `${conv} convolutions see the hole's values`);
        m.dispose();
      }
    });
  });

  it('bad options throw a ModelConfigError naming the option', () => {
    throwsConfig(() => create('unet', { chanels: [8] }), /unet: unknown option 'chanels'; allowed options: inputShape, inChannels, imageSize, outChannels, maskChannel, channels, skips, dilations, bottleneckChannels, conv, norm, down, up, outputActivation/, 'chanels');
    throwsConfig(() => create('unet', { numClasses: 10 }), /unknown option 'numClasses'/, 'numClasses');
    throwsConfig(() => create('unet', { conv: 'deformable' }), /unet: option 'conv' must be one of 'standard', 'partial', 'gated', got "deformable"/, 'conv');
    throwsConfig(() => create('unet', { norm: 'group' }), /option 'norm' must be one of 'batch', 'none'/, 'norm');
    throwsConfig(() => create('unet', { down: 'avg' }), /option 'down'/, 'down');
    throwsConfig(() => create('unet', { up: 'pixelshuffle' }), /option 'up'/, 'up');
    throwsConfig(() => create('unet', { outputActivation: 'tanh' }), /option 'outputActivation' must be one of 'sigmoid', 'none'/, 'outputActivation');
    throwsConfig(() => create('unet', { channels: [] }), /option 'channels' must be an array of at least 1 positive integers/, 'channels');
    throwsConfig(() => create('unet', { dilations: [2, 0] }), /option 'dilations'/, 'dilations');
    throwsConfig(() => create('unet', { skips: 'outer' }), /option 'skips' must be 'all', 'none', 'inner'/, 'skips');
    throwsConfig(() => create('unet', { skips: [true] }), /unet: skips \[true\] has 1 entry for 2 levels \(channels \[32,64\]\)/, 'skips');
    throwsConfig(() => create('unet', { inputShape: [1, 28, 28] }), /unet: 1 input channel, but maskChannel is true.*\[2, 28, 28\]/, 'inputShape');
    throwsConfig(() => create('unet', { inChannels: 1 }), /maskChannel is true/, 'inChannels');
    throwsConfig(() => create('unet', { inputShape: [2, 28, 28], inChannels: 3 }), /option 'inChannels' \(3\) disagrees with inputShape/, 'inChannels');
    throwsConfig(() => create('unet', { inputShape: [2, 28, 28], imageSize: 32 }), /option 'imageSize' \(32\) disagrees with inputShape/, 'imageSize');
    throwsConfig(() => create('unet', { maskChannel: 'yes' }), /option 'maskChannel' must be true or false/, 'maskChannel');
    throwsConfig(() => create('unet', { bottleneckChannels: 0 }), /option 'bottleneckChannels' must be a positive integer/, 'bottleneckChannels');
    throwsConfig(() => create('unet', { outChannels: 1.5 }), /option 'outChannels'/, 'outChannels');
    assert.equal(new UNet({ maskChannel: false }).config.inChannels, 1);
    const m = new UNet({ inputShape: [2, 8, 8], channels: [4] });
    throwsConfig(() => m.call(torch.zeros([1, 1, 8, 8])), /unet: expected input \[B, 2, H, W\] \(the image's 1 channel, then the hole mask\), got \[1, 1, 8, 8\]/);
  });

  it('layer argument checks', () => {
    assert.throws(() => new GatedConv2d(2, 4, 3, { activation: 'swish' as never }), /activation must be one of/);
    const p = new PartialConv2d(3, 4, 3, { padding: 1 });
    assert.throws(() => p.call(torch.zeros([1, 3, 5, 5]), torch.zeros([1, 2, 5, 5])), /mask must be \(N, 1, H, W\) or \(N, C_in, H, W\)/);
    assert.throws(() => p.call(torch.zeros([1, 2, 5, 5])), /expected input with 3 channels/);
    const [y, m] = p.call(torch.randn([2, 3, 5, 5]));
    assert.deepEqual(y.shape, [2, 4, 5, 5]);
    assert.equal(m.min().item(), 1, 'no mask: every output is valid');
  });
});

paritySuite('unet: PartialConv2d against the formula of Liu et al. 2018 (float64)', () => {
  const CASES: { name: string; cin: number; cout: number; k: number; stride: number; padding: number; dilation: number; bias: boolean; maskChannels: 'one' | 'all' | 'none' }[] = [
    { name: '3×3, padding 1, one-channel mask', cin: 3, cout: 5, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, maskChannels: 'one' },
    { name: '3×3, stride 2, per-channel mask', cin: 4, cout: 3, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, maskChannels: 'all' },
    { name: '3×3, dilation 2, padding 2, no bias', cin: 2, cout: 4, k: 3, stride: 1, padding: 2, dilation: 2, bias: false, maskChannels: 'one' },
    { name: '5×5, padding 0, per-channel mask', cin: 3, cout: 2, k: 5, stride: 1, padding: 0, dilation: 1, bias: true, maskChannels: 'all' },
    { name: '3×3, padding 1, no mask (borders rescaled)', cin: 2, cout: 3, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, maskChannels: 'none' },
  ];
  for (const c of CASES) {
    pit(c.name, async () => {
      const N = 2;
      const H = 11;
      const W = 9;
      const layer = new PartialConv2d(c.cin, c.cout, c.k, { stride: c.stride, padding: c.padding, dilation: c.dilation, bias: c.bias }).double();
      const x = torch.randn([N, c.cin, H, W], { dtype: 'float64' }).requiresGrad_(true);
      // A big hole (whole windows with no valid pixel) and scattered missing pixels.
      const mask = c.maskChannels === 'none' ? null
        : holes(N, H, W, 7, 0.6).neg().add(1).mul(torch.rand([N, c.maskChannels === 'one' ? 1 : c.cin, H, W]).gt(0.25)).double();
      const [y, m] = layer.call(x, mask);
      const g = torch.randn(y.shape, { dtype: 'float64' });
      y.mul(g).sum().backward();
      const inputs: Record<string, Tensor> = { x: x.detach(), g, w: layer.weight.detach(), ...(c.bias ? { b: layer.bias!.detach() } : {}), ...(mask ? { mask } : {}) };
      const [yP, mP, xg, wg, bg] = await pyOut(`
import torch.nn.functional as F
x = x.clone().requires_grad_(True)
w = w.clone().requires_grad_(True)
${c.bias ? 'b = b.clone().requires_grad_(True)' : 'b = None'}
${mask ? '' : 'mask = torch.ones_like(x[:, :1])'}
N, C, H, W = x.shape
M = mask.expand(N, C, H, W)
k, s, p, d = ${c.k}, ${c.stride}, ${c.padding}, ${c.dilation}
Ho, Wo = (H + 2 * p - d * (k - 1) - 1) // s + 1, (W + 2 * p - d * (k - 1) - 1) // s + 1
XM = F.unfold(x * M, k, dilation=d, padding=p, stride=s)          # [N, C·k·k, L]: X ⊙ M per window
Mw = F.unfold(M, k, dilation=d, padding=p, stride=s)               # the mask window (zero outside the image)
sum1 = Mw.shape[1]                                                 # sum(1): the window size C·k·k
sumM = Mw.sum(1, keepdim=True)                                     # sum(M)
out = torch.einsum('ok,nkl->nol', w.reshape(w.shape[0], -1), XM) * (sum1 / torch.where(sumM > 0, sumM, torch.ones_like(sumM)))
if b is not None:
    out = out + b.view(1, -1, 1)
out = torch.where(sumM > 0, out, torch.zeros_like(out))            # 0 where no pixel is valid
new_mask = (sumM > 0).to(x.dtype)
out, new_mask = out.view(N, -1, Ho, Wo), new_mask.view(N, 1, Ho, Wo)
(out * g).sum().backward()
out = [out.detach(), new_mask, x.grad, w.grad, None if b is None else b.grad]`, inputs) as [Tensor, Tensor, Tensor, Tensor, Tensor | null];
      const tol = { rtol: 1e-10, atol: 1e-12 };
      assertClose(m, mP, { rtol: 0, atol: 0, label: 'updated mask' });
      const mv = m.toNumbers();
      if (mask !== null) assert.ok(mv.some((v) => v === 0) && mv.some((v) => v === 1), 'the case has both valid and invalid windows');
      assertClose(y.detach(), yP, { ...tol, label: 'output' });
      assertClose(x.grad!, xg, { ...tol, label: 'input grad' });
      assertClose(layer.weight.grad!, wg, { ...tol, label: 'weight grad' });
      if (c.bias) assertClose(layer.bias!.grad!, bg!, { ...tol, label: 'bias grad' });
      else assert.equal(layer.bias, null);
      layer.dispose();
    });
  }

  pit('same seed, same state dict and repr as class PartialConv2d(nn.Conv2d)', async () => {
    const m = await checkInit(() => new PartialConv2d(3, 6, 3, { stride: 2, padding: 2, dilation: 2 }), py('PartialConv2d(3, 6, 3, stride=2, padding=2, dilation=2)'));
    m.dispose();
    const n = await checkInit(() => new PartialConv2d(4, 2, [3, 5], { bias: false }), py('PartialConv2d(4, 2, (3, 5), bias=False)'));
    n.dispose();
  });
});

paritySuite('unet: GatedConv2d against PyTorch (float64)', () => {
  const CASES: { name: string; make: () => GatedConv2d; py: string }[] = [
    { name: 'ELU (default), 3×3 padding 1', make: () => new GatedConv2d(3, 4, 3, { padding: 1 }), py: py('GatedConv2d(3, 4, 3, padding=1)') },
    { name: 'identity φ, stride 2, dilation 2', make: () => new GatedConv2d(2, 5, 3, { stride: 2, padding: 2, dilation: 2, activation: 'none' }), py: py("GatedConv2d(2, 5, 3, stride=2, padding=2, dilation=2, activation='none')") },
    { name: 'LeakyReLU(0.2) φ, no bias', make: () => new GatedConv2d(2, 3, 5, { padding: 2, bias: false, activation: 'leaky_relu' }), py: py("GatedConv2d(2, 3, 5, padding=2, bias=False, activation='leaky_relu')") },
  ];
  for (const c of CASES) {
    pit(`${c.name}: init, state dict, repr, outputs and gradients`, async () => {
      const m = await checkInit(c.make, c.py);
      await checkForward(m, c.py, [{ x: torch.randn([2, m.conv.inChannels, 9, 8]), train: true }], { rtol: 1e-10, atol: 1e-12 });
      m.dispose();
    });
  }
  pit('output is φ(features) ⊙ σ(gate) with features and gate the two halves of conv', () => {
    const m = new GatedConv2d(2, 3, 3, { padding: 1, activation: 'relu' });
    const x = torch.randn([1, 2, 6, 6]);
    const full = m.conv.call(x);
    const expected = full.narrow(1, 0, 3).relu().mul(full.narrow(1, 3, 3).sigmoid());
    assertClose(m.call(x), expected, { rtol: 0, atol: 0 });
    assert.deepEqual(m.conv.weight.shape, [6, 2, 3, 3]);
  });
});

interface Case {
  name: string;
  options: UNetOptions;
  py: string;
  /** Image channels C and size: inputs are [B, C+1, H, W] (or [B, C, H, W] without the mask channel). */
  input: [number, number, number];
}

const UNET_CASES: Case[] = [
  { name: 'standard, defaults (28×28)', options: { inputShape: [2, 28, 28] }, py: py('UNet()'), input: [2, 28, 28] },
  {
    name: 'partial, skips inner (the seed\'s variant), 28×28',
    options: { inputShape: [2, 28, 28], channels: [8, 16], skips: 'inner', conv: 'partial' },
    py: py("UNet(2, channels=(8, 16), skips=(False, True), conv='partial')"), input: [2, 28, 28],
  },
  {
    name: 'gated, 3 levels, skips [true, false, true], strided-conv down, nearest up, RGB 13×11, no norm',
    options: { inputShape: [4, 13, 11], channels: [4, 8, 8], skips: [true, false, true], dilations: [2, 4, 8], bottleneckChannels: 12, conv: 'gated', down: 'conv', up: 'nearest', norm: 'none', outputActivation: 'none' },
    py: py("UNet(4, channels=(4, 8, 8), skips=(True, False, True), dilations=(2, 4, 8), bottleneck_channels=12, conv='gated', down='conv', up='nearest', norm='none', output_activation='none')"),
    input: [4, 13, 11],
  },
  {
    name: 'partial, strided-conv down, bilinear up, 3 levels on 32×32',
    options: { inputShape: [2, 32, 32], channels: [4, 8, 8], dilations: [3], conv: 'partial', down: 'conv', up: 'bilinear' },
    py: py("UNet(2, channels=(4, 8, 8), dilations=(3,), conv='partial', down='conv', up='bilinear')"), input: [2, 32, 32],
  },
  {
    name: 'partial, no mask channel, odd 15×17, skips none',
    options: { inputShape: [3, 15, 17], maskChannel: false, channels: [4, 6], skips: 'none', conv: 'partial' },
    py: py("UNet(3, channels=(4, 6), skips=(False, False), conv='partial', mask_channel=False)"), input: [3, 15, 17],
  },
  {
    name: 'standard, 32×32, one skip of three, bilinear up',
    options: { inputShape: [2, 32, 32], channels: [4, 8, 16], skips: [false, false, true], dilations: [2, 4, 8], up: 'bilinear' },
    py: py("UNet(2, channels=(4, 8, 16), skips=(False, False, True), dilations=(2, 4, 8), up='bilinear')"), input: [2, 32, 32],
  },
];

function caseInput(c: Case, b: number, seed: number): Tensor {
  const [ch, h, w] = c.input;
  const mask = c.options.maskChannel ?? true;
  return mask ? inpaintInput(b, ch - 1, h, w, seed) : torch.rand([b, ch, h, w]);
}

paritySuite('unet: same seed, same state dict (keys, shapes, values) and repr as PyTorch', () => {
  for (const c of UNET_CASES) {
    pit(c.name, async () => {
      const m = await checkInit(() => new UNet(c.options), c.py);
      m.dispose();
    });
  }
});

paritySuite('unet: Sous weights in PyTorch, train and eval steps (float64)', () => {
  for (const c of UNET_CASES) {
    pit(`${c.name}: outputs, input and parameter gradients, running stats`, async () => {
      torch.manualSeed(layerSeed());
      const m = new UNet(c.options);
      const modes = [true, true, false, true];
      await checkForward(m, c.py, modes.map((train, i) => ({ x: caseInput(c, 3, 11 + i), train })), { rtol: 1e-8, atol: 1e-10 });
      m.dispose();
    });
  }
});
