// Parity with torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 1.13): the returned total
// norm and the clipped gradients, for several norm types, both clipping and not, float32 and float64.
import assert from 'node:assert/strict';
import { torch, Tensor, type DType } from '../../src/index.js';
import { clipGradNorm_, clipGradNormTensor_, clipGradValue_ } from '../../src/optim/index.js';
import { paritySuite, pit, py, DEVICE } from '../helpers/parity.js';
import { assertClose } from '../helpers/oracle.js';
import { numbers } from './common.js';

/** Three parameters: two with gradients (one 0-dim), one without. */
function setup(dtype: DType): { ps: Tensor[]; inputs: Record<string, Tensor> } {
  const device = DEVICE;
  const a = torch.randn([3, 4], { dtype, device }).requiresGrad_();
  const b = torch.randn([], { dtype, device }).requiresGrad_();
  const c = torch.randn([5], { dtype, device }).requiresGrad_();
  const ga = torch.randn([3, 4], { dtype, device }).mul(2);
  const gb = torch.randn([], { dtype, device });
  a.grad = ga.clone();
  b.grad = gb.clone();
  return { ps: [a, b, c], inputs: { a, b, c, ga, gb } };
}

const PY_SETUP = 'ps = [a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_(), c.detach().clone().requires_grad_()]\n'
  + 'ps[0].grad = ga.clone()\nps[1].grad = gb.clone()\n';

paritySuite('gradient clipping vs PyTorch', () => {
  for (const dtype of ['float64', 'float32'] as DType[]) {
    for (const normType of [2, 1, 3.5, Infinity]) {
      for (const maxNorm of [0.5, 1e6]) {
        pit(`clipGradNorm_ normType ${normType}, maxNorm ${maxNorm} [${dtype}]`, async () => {
          const { ps, inputs } = setup(dtype);
          const pyNorm = normType === Infinity ? "float('inf')" : String(normType);
          const res = await py().call({ inputs, code: `${PY_SETUP}tn = torch.nn.utils.clip_grad_norm_(ps, ${maxNorm}, norm_type=${pyNorm})\nout = [tn, ps[0].grad, ps[1].grad, ps[2].grad is None]` });
          assert.ok(res.out !== null && 'l' in res.out);
          const [tn, g0, g1, none] = res.out.l;
          const total = clipGradNorm_(ps, maxNorm, { normType });
          assert.equal(typeof total, 'number');
          const expected = numbers(tn!) as number;
          const rel = dtype === 'float64' ? 1e-12 : 1e-6;
          assert.ok(Math.abs(total - expected) <= rel * Math.abs(expected), `total norm: Sous ${total}, PyTorch ${expected}`);
          assert.ok(g0 !== null && 't' in g0 && g1 !== null && 't' in g1);
          assertClose(ps[0]!.grad!, g0.t, { label: 'grad 0' });
          assertClose(ps[1]!.grad!, g1.t, { label: 'grad 1' });
          assert.deepEqual(none, { b: true });
          assert.equal(ps[2]!.grad, null);
          // The sync-free form (for CUDA graphs): the same norm as a 0-dim tensor, the same grads.
          const again = [inputs.a!, inputs.b!, inputs.c!].map((p) => p.detach().clone().requiresGrad_());
          again[0]!.grad = inputs.ga!.clone();
          again[1]!.grad = inputs.gb!.clone();
          const t = clipGradNormTensor_(again, maxNorm, { normType })!;
          assert.deepEqual([t.shape, t.device], [[], ps[0]!.device]);
          assert.ok(Math.abs(Number(t.item()) - expected) <= rel * Math.abs(expected), `tensor total norm: ${Number(t.item())}, PyTorch ${expected}`);
          assertClose(again[0]!.grad!, g0.t, { label: 'grad 0 (tensor form)' });
          assertClose(again[1]!.grad!, g1.t, { label: 'grad 1 (tensor form)' });
        });
      }
    }
  }

  pit('clipGradNorm_ accepts a single tensor; no gradients at all gives 0', async () => {
    const { ps, inputs } = setup('float64');
    const res = await py().call({ inputs, code: `${PY_SETUP}out = [torch.nn.utils.clip_grad_norm_(ps[0], 1.0), ps[0].grad, torch.nn.utils.clip_grad_norm_(ps[2], 1.0)]` });
    assert.ok(res.out !== null && 'l' in res.out);
    const total = clipGradNorm_(ps[0]!, 1.0);
    assert.ok(Math.abs(total - (numbers(res.out.l[0]!) as number)) < 1e-12);
    assertClose(ps[0]!.grad!, (res.out.l[1] as { t: never }).t);
    assert.equal(clipGradNorm_([ps[2]!], 1.0), 0);
    assert.equal(numbers(res.out.l[2]!), 0);
  });

  pit('clipGradNorm_ errorIfNonfinite: throws on both sides; without it, scales by the non-finite norm as PyTorch', async () => {
    const { ps, inputs } = setup('float64');
    ps[0]!.grad = torch.tensor([[1, Infinity, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1]], { dtype: 'float64', device: DEVICE });
    inputs.ga = ps[0]!.grad!;
    let pyErr = '';
    try {
      await py().call({ inputs, code: `${PY_SETUP}torch.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)\nout = None` });
    } catch (e) {
      pyErr = (e as Error).message;
    }
    assert.match(pyErr, /non-finite/);
    assert.throws(() => clipGradNorm_(ps, 1.0, { errorIfNonfinite: true }), /total norm of order 2 for gradients from `parameters` is non-finite/);
    const res = await py().call({ inputs, code: `${PY_SETUP}tn = torch.nn.utils.clip_grad_norm_(ps, 1.0)\nout = [tn, ps[0].grad, ps[1].grad]` });
    assert.ok(res.out !== null && 'l' in res.out);
    assert.equal(clipGradNorm_(ps, 1.0), Infinity);
    assert.equal(numbers(res.out.l[0]!), Infinity);
    assertClose(ps[0]!.grad!, (res.out.l[1] as { t: never }).t);
    assertClose(ps[1]!.grad!, (res.out.l[2] as { t: never }).t);
  });

  for (const dtype of ['float64', 'float32'] as DType[]) {
    pit(`clipGradValue_ [${dtype}]`, async () => {
      const { ps, inputs } = setup(dtype);
      const res = await py().call({ inputs, code: `${PY_SETUP}torch.nn.utils.clip_grad_value_(ps, 0.7)\nout = [ps[0].grad, ps[1].grad, ps[2].grad is None]` });
      assert.ok(res.out !== null && 'l' in res.out);
      clipGradValue_(ps, 0.7);
      assertClose(ps[0]!.grad!, (res.out.l[0] as { t: never }).t);
      assertClose(ps[1]!.grad!, (res.out.l[1] as { t: never }).t);
      assert.equal(ps[2]!.grad, null);
      clipGradValue_(ps[0]!, 1);
      assertClose(ps[0]!.grad!, (res.out.l[0] as { t: never }).t);
    });
  }

  pit('clipping frees its temporaries and leaves the grads where they were', () => {
    const { ps } = setup('float32');
    const g0 = ps[0]!.grad!;
    const before = torch.memory().liveTensors;
    clipGradNorm_(ps, 0.1);
    clipGradNorm_(ps, 0.1, { normType: Infinity });
    clipGradValue_(ps, 0.01);
    assert.equal(torch.memory().liveTensors, before);
    assert.ok(g0.sharesStorageWith(ps[0]!.grad!), 'clipped in place');
    assert.throws(() => clipGradNorm_(ps, NaN), /maxNorm must be a number/);
    assert.throws(() => clipGradValue_(ps, 'x' as unknown as number), /clipValue must be a number/);
  });
});
