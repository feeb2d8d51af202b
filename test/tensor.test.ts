// The hand-written core of Tensor: creation and dtype inference, data out, metadata, devices,
// in-place identity, printing hooks and the dispatcher's argument binding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, Tensor, TorchError } from '../src/index.js';

describe('creation', () => {
  it('infers dtypes from JS data as PyTorch does', () => {
    assert.equal(torch.tensor([1, 2, 3]).dtype, 'int64');
    assert.equal(torch.tensor([1.5, 2]).dtype, 'float32');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.equal(torch.tensor(new Float64Array([1, 2])).dtype, 'float64');
    assert.equal(torch.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(torch.tensor(new Uint8Array([1, 2])).dtype, 'uint8');
    assert.equal(torch.tensor([1, 2], { dtype: 'float16' }).dtype, 'float16');
    assert.equal(torch.tensor([1, 2], { dtype: 'bfloat16' }).dtype, 'bfloat16');
  });
  it('keeps shape and values of nested arrays', () => {
    const t = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(Array.from(t.toArray() as Float64Array), [1, 2, 3, 4, 5, 6]);
    assert.equal(torch.tensor(7).item(), 7);
    assert.deepEqual(torch.tensor(7.5).shape, []);
  });
  it('rejects ragged arrays and bad elements with a clear message', () => {
    assert.throws(() => torch.tensor([[1, 2], [3]]), /ragged/);
    assert.throws(() => torch.tensor(['a' as unknown as number]), /numbers, booleans or bigints/);
    assert.throws(() => torch.tensor([1], { dtype: 'float8' as never }), /unknown dtype 'float8'/);
  });
  it('builds from typed arrays with a shape', () => {
    const t = torch.fromTypedArray(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    assert.deepEqual(t.shape, [3, 2]);
    assert.throws(() => torch.fromTypedArray(new Float32Array(5), [2, 3]), /needs 6 elements/);
  });
  it('round-trips float16 and bfloat16 raw bits', () => {
    const h = torch.tensor([1, -2, 0.5], { dtype: 'float16' });
    assert.deepEqual(h.toNumbers(), [1, -2, 0.5]);
    const bits = h.toArray() as Uint16Array;
    assert.equal(bits[0], 0x3c00);
    const back = torch.tensor(bits, { dtype: 'float16' });
    assert.deepEqual(back.toNumbers(), [1, -2, 0.5]);
  });
  it('factories take sizes as varargs or a list, with options', () => {
    assert.deepEqual(torch.zeros(2, 3).shape, [2, 3]);
    assert.deepEqual(torch.ones([4]).shape, [4]);
    const f = torch.full([2, 2], 1.5, { dtype: 'float64' });
    assert.equal(f.dtype, 'float64');
    assert.deepEqual(f.tolist(), [[1.5, 1.5], [1.5, 1.5]]);
    const r = torch.randn([3], { requiresGrad: true });
    assert.equal(r.requiresGrad, true);
    assert.deepEqual(torch.arange(5).tolist(), [0, 1, 2, 3, 4]);
    assert.deepEqual(torch.arange(1, 2, 0.25).tolist(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(torch.eye(2).tolist(), [[1, 0], [0, 1]]);
  });
});

describe('metadata and conversion', () => {
  it('reports shape, size, ndim, numel, strides', () => {
    const t = torch.zeros(2, 3, 4);
    assert.deepEqual(t.size(), [2, 3, 4]);
    assert.equal(t.size(-1), 4);
    assert.equal(t.ndim, 3);
    assert.equal(t.numel(), 24);
    assert.deepEqual(t.stride(), [12, 4, 1]);
    assert.equal(t.permute(2, 0, 1).isContiguous(), false);
    assert.throws(() => t.size(3), /out of range/);
  });
  it('to() converts dtypes and returns the same tensor when nothing changes', () => {
    const t = torch.tensor([1.7, -2.2]);
    assert.equal(t.to('cpu'), t);
    assert.equal(t.to('float32'), t);
    assert.deepEqual(t.to('int64').tolist(), [1, -2]);
    assert.equal(t.double().dtype, 'float64');
    assert.notEqual(t.to({ copy: true }), t);
    assert.throws(() => t.to('gpu' as never), /neither a dtype .* nor a device/);
  });
  it('item() needs one element', () => {
    assert.equal(torch.tensor([[3.5]]).item(), 3.5);
    assert.throws(() => torch.tensor([1, 2]).item(), /2 elements cannot be converted/);
  });
  it('int64 beyond 2^53 comes back exactly as bigint', () => {
    const big = 2n ** 60n + 1n;
    const t = torch.tensor([big]);
    assert.equal(t.dtype, 'int64');
    assert.deepEqual(t.tolist(), [big]);
    assert.equal((t.toArray() as BigInt64Array)[0], big);
  });
});

describe('dispatcher', () => {
  it('picks Tensor overloads before Scalar ones and honours keyword arguments', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float32' });
    assert.deepEqual(torch.add(x, x).tolist(), [2, 4, 6]);
    assert.deepEqual(torch.add(x, 1).tolist(), [2, 3, 4]);
    assert.deepEqual(x.add(x, { alpha: 2 }).tolist(), [3, 6, 9]);
    assert.deepEqual(x.sum({ dim: 0, keepdim: true }).shape, [1]);
    assert.deepEqual(x.view(3, 1).shape, [3, 1]);
  });
  it('positional calls fill defaults, reject missing or extra arguments, and report native errors with the op', () => {
    torch.tidy(() => {
      const x = torch.tensor([1, 2, 3]);
      assert.deepEqual(torch.add(x, x).tolist(), [2, 4, 6]);
      assert.deepEqual(torch.add(x, x, { alpha: 2 }).tolist(), [3, 6, 9]); // keyword-only alpha
      assert.deepEqual(x.add(1).tolist(), [2, 3, 4]); // Scalar overload after the Tensor one fails
      assert.deepEqual(x.add(1, 2).tolist(), [3, 4, 5]); // add.Scalar's alpha is positional
      assert.deepEqual(torch.linear(torch.ones(1, 3), torch.ones(2, 3)).tolist(), [[3, 3]]); // optional bias left out
      assert.deepEqual(torch.linear(torch.ones(1, 3), torch.ones(2, 3), null).tolist(), [[3, 3]]);
      assert.throws(() => (torch.add as (...a: unknown[]) => unknown)(x), /invalid combination of arguments/);
      assert.throws(() => (torch.relu as (...a: unknown[]) => unknown)(x, x), /invalid combination of arguments/);
      assert.throws(() => x.add('a' as never), /invalid combination of arguments/);
      assert.throws(() => torch.add(x, torch.ones(2)), (e: Error) => e instanceof TorchError && /^add\.Tensor: /.test(e.message) && /inputs: /.test(e.message));
      assert.throws(() => x.view(2, 2), (e: Error) => e instanceof TorchError && /^view: /.test(e.message));
    });
  });
  it('in-place ops return the same JS object', () => {
    const x = torch.zeros(3);
    assert.equal(x.add_(1), x);
    assert.equal(torch.relu_(x), x);
    assert.deepEqual(x.tolist(), [1, 1, 1]);
  });
  it('returns tuples as arrays and lists of tensors', () => {
    const x = torch.tensor([[1, 5], [7, 2]]);
    const [v, i] = x.max(1);
    assert.deepEqual(v.tolist(), [5, 7]);
    assert.deepEqual(i.tolist(), [1, 0]);
    const parts = torch.arange(6).split(2);
    assert.equal(parts.length, 3);
    assert.ok(parts.every((p) => p instanceof Tensor));
  });
  it('integral JS numbers are int64 scalars; {float} forces a float', () => {
    const i = torch.tensor([1, 2]);
    assert.equal(i.add(1).dtype, 'int64');
    assert.equal(i.add(0.5).dtype, 'float32');
    assert.equal(torch.full([1], { float: 2 }).dtype, 'float32');
    assert.equal(torch.full([1], 2).dtype, 'int64');
  });
  it('reports availability of ops', () => {
    assert.equal(torch.has('add'), true);
    assert.equal(torch.has('add.Tensor'), true);
    assert.equal(torch.has('no_such_op'), false);
  });
});

describe('indexing', () => {
  it('supports ints, slices, None, ellipsis, masks and index lists', () => {
    const x = torch.arange(24).view(2, 3, 4);
    assert.deepEqual(x.get(0).shape, [3, 4]);
    assert.deepEqual(x.get(':', 1).shape, [2, 4]);
    assert.deepEqual(x.get('...', '::2').shape, [2, 3, 2]);
    assert.deepEqual(x.get(null, 0).shape, [1, 3, 4]);
    assert.deepEqual(x.get(1, 2, -1).item(), 23);
    assert.deepEqual(x.get(0, [0, 2], 0).tolist(), [0, 8]);
    assert.deepEqual(x.get(0, torch.slice(1, 3), 0).tolist(), [4, 8]);
    const v = torch.tensor([1, -2, 3, -4]);
    assert.deepEqual(v.get(v.gt(0)).tolist(), [1, 3]);
  });
  it('assigns in place', () => {
    const x = torch.zeros(3, 3);
    x.set([1, ':'], 5);
    x.set([':', 0], torch.tensor([1, 2, 3], { dtype: 'float32' }));
    assert.deepEqual(x.tolist(), [[1, 0, 0], [2, 5, 5], [3, 0, 0]]);
    x.set([x.gt(4)], -1);
    assert.deepEqual(x.get(1).tolist(), [2, -1, -1]);
  });
  it('reports bad indices with the tensor shape', () => {
    const x = torch.zeros(2, 2);
    assert.throws(() => x.get(5), (e: Error) => /index 5 is out of bounds/.test(e.message) && /Tensor\[2, 2\]/.test(e.message));
    assert.throws(() => x.get('a:b'), /not a slice/);
  });
});

describe('printing', () => {
  it('prints like PyTorch', () => {
    assert.equal(String(torch.tensor([[1, 2], [3, 4]])), 'tensor([[1, 2],\n        [3, 4]])');
    assert.equal(String(torch.tensor([1.5], { dtype: 'float64' })), 'tensor([1.5000], dtype=torch.float64)');
    const w = torch.ones([2], { requiresGrad: true });
    assert.equal(String(w.mul(torch.ones(2))), 'tensor([1., 1.], grad_fn=<MulBackward0>)');
  });
});
