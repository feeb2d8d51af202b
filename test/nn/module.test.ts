// nn.Module and the containers (src/nn/module.ts, src/nn/containers.ts): registration by fields,
// traversal order and names, modes, freezing, gradients, dtype moves, state dicts, hooks, summary,
// printing, Sequential/ModuleList/ModuleDict, dispose. The layers here are small hand-written
// modules built from torch ops, so that these tests depend on nothing but Module itself.
//
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, type Tensor } from '../../src/index.js';
import { Module, Parameter, isParameter, Sequential, ModuleList, ModuleDict, StateDictError, Conv2d, BatchNorm2d, Flatten, Linear, type AnyModule } from '../../src/nn/index.js';

/** y = x W^T + b, with W [out, in]. */
class Lin extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  constructor(readonly inF: number, readonly outF: number, bias = true) {
    super();
    this.weight = Parameter(torch.randn([outF, inF]));
    this.registerParameter('bias', bias ? torch.zeros([outF]) : null);
  }
  override forward(x: Tensor): Tensor {
    const y = x.matmul(this.weight.t());
    return this.bias === null ? y : y.add(this.bias);
  }
  override extraRepr(): string {
    return `in=${this.inF}, out=${this.outF}, bias=${this.bias !== null}`;
  }
}

class Act extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** fc1 -> act -> head (Sequential), scaled by a buffer; also a non-persistent buffer and fields that are not state. */
class Net extends Module {
  declare fc1: Lin;
  declare act: Act;
  declare head: Sequential;
  declare scale: Tensor;
  declare mask: Tensor;
  declare cache: Tensor;
  declare note: string;
  declare _hidden: Tensor;
  constructor() {
    super();
    this.fc1 = new Lin(4, 8);
    this.act = new Act();
    this.registerBuffer('scale', torch.ones([1]));
    this.head = new Sequential(new Lin(8, 2), new Act());
    this.registerBuffer('mask', torch.ones([2]), { persistent: false });
    this.cache = torch.zeros([3]); // a plain tensor: not state
    this.note = 'hello';
    this._hidden = Parameter(torch.zeros([5])); // underscore fields are private
  }
  override forward(x: Tensor): Tensor {
    return this.head.call(this.act.call(this.fc1.call(x))).mul(this.scale).mul(this.mask);
  }
}

const names = (it: Iterable<[string, unknown]>): string[] => [...it].map(([k]) => k);
const hookCount = (m: AnyModule): number => {
  const h = m as unknown as { _hooks?: Map<number, unknown>; _preHooks?: Map<number, unknown> };
  return (h._hooks?.size ?? 0) + (h._preHooks?.size ?? 0);
};

describe('registration and traversal', () => {
  it('finds parameters, buffers and submodules on fields, in order, with dotted names', () => {
    const n = new Net();
    assert.deepEqual(names(n.namedParameters()), ['fc1.weight', 'fc1.bias', 'head.0.weight', 'head.0.bias']);
    assert.deepEqual(n.parameters(), [n.fc1.weight, n.fc1.bias, (n.head.at(0) as Lin).weight, (n.head.at(0) as Lin).bias]);
    assert.deepEqual(names(n.namedBuffers()), ['scale', 'mask']);
    assert.deepEqual(n.buffers(), [n.scale, n.mask]);
    assert.deepEqual(names(n.namedBuffers({ persistentOnly: true })), ['scale']);
    assert.deepEqual(names(n.namedChildren()), ['fc1', 'act', 'head']);
    assert.deepEqual([...n.children()], [n.fc1, n.act, n.head]);
    assert.deepEqual(names(n.namedModules()), ['', 'fc1', 'act', 'head', 'head.0', 'head.1']);
    assert.equal([...n.modules()][0], n);
    assert.deepEqual(n.parameters(false), [], 'Net has no parameters of its own');
    assert.deepEqual(names(n.fc1.namedParameters({ recurse: false })), ['weight', 'bias']);
    assert.deepEqual(names(n.namedParameters({ prefix: 'model' })), ['model.fc1.weight', 'model.fc1.bias', 'model.head.0.weight', 'model.head.0.bias']);
    assert.deepEqual(names(n.namedModules('m')), ['m', 'm.fc1', 'm.act', 'm.head', 'm.head.0', 'm.head.1']);
    assert.equal(n.numParameters(), 4 * 8 + 8 + 8 * 2 + 2);
    assert.ok(!n.parameters().includes(n._hidden), 'underscore fields are left out');
    assert.ok(!n.buffers().includes(n.cache), 'a plain tensor field is not a buffer');
  });

  it('register* add fields; a null parameter leaves a named gap; bad names are refused', () => {
    const m = new Module();
    const w = m.registerParameter('w', torch.ones([2]));
    assert.ok(isParameter(w) && w.requiresGrad && w.isLeaf);
    assert.equal((m as unknown as Record<string, unknown>).w, w);
    m.registerParameter('b', null);
    assert.equal((m as unknown as Record<string, unknown>).b, null);
    m.registerBuffer('running', torch.zeros([2]));
    m.registerModule('sub', new Lin(2, 2, false));
    assert.deepEqual(names(m.namedParameters()), ['w', 'sub.weight']);
    assert.deepEqual(Object.keys(m.stateDict()), ['w', 'running', 'sub.weight']);
    assert.throws(() => m.registerParameter('a.b', torch.ones([1])), /invalid attribute name 'a\.b'/);
    assert.throws(() => m.registerBuffer('_x', torch.ones([1])), /invalid attribute name '_x'/);
    assert.throws(() => m.registerModule('', new Act()), /invalid attribute name ''/);
  });

  it('Parameter() makes a kept leaf that requires grad (detaching graph tensors)', () => {
    const leafT = torch.randn([3]);
    const p = Parameter(leafT);
    assert.equal(p, leafT, 'a leaf without grad becomes the parameter itself');
    assert.ok(p.requiresGrad && p._kept && isParameter(p));
    const x = torch.randn([3], { requiresGrad: true });
    const y = x.mul(2);
    const q = Parameter(y);
    assert.notEqual(q, y);
    assert.ok(q.isLeaf && q.requiresGrad && q.gradFn === null);
    const frozen = Parameter(torch.randn([2]), false);
    assert.ok(isParameter(frozen) && !frozen.requiresGrad);
    assert.ok(!isParameter(torch.randn([2])));
  });

  it('declared class fields take their declaration order (JS class-field semantics), undeclared ones assignment order', () => {
    // With useDefineForClassFields (target es2022) a field declared in the class body exists, as
    // undefined, from the end of super(): its position is fixed there, whenever it is assigned.
    // `declare` fields (as in the helpers above) and fields not declared follow assignment order.
    class Declared extends Module {
      second: Lin;
      first: Lin;
      constructor() {
        super();
        this.first = new Lin(1, 1, false);
        this.second = new Lin(1, 1, false);
      }
    }
    class Assigned extends Module {
      declare second: Lin;
      declare first: Lin;
      constructor() {
        super();
        this.first = new Lin(1, 1, false);
        this.second = new Lin(1, 1, false);
      }
    }
    assert.deepEqual(names(new Declared().namedChildren()), ['second', 'first']);
    assert.deepEqual(names(new Assigned().namedChildren()), ['first', 'second']);
  });

  it('shared parameters and shared modules are counted once', () => {
    class Tied extends Module {
      declare enc: Lin;
      declare dec: Lin;
      constructor() {
        super();
        this.enc = new Lin(3, 3);
        this.dec = new Lin(3, 3);
        this.dec.weight = this.enc.weight;
      }
    }
    const t = new Tied();
    assert.deepEqual(names(t.namedParameters()), ['enc.weight', 'enc.bias', 'dec.bias']);
    assert.equal(t.numParameters(), 9 + 3 + 3);
    // PyTorch's state_dict keeps both names of a tied weight.
    assert.deepEqual(Object.keys(t.stateDict()), ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);

    class SharedModule extends Module {
      declare a: Lin;
      declare b: Lin;
      constructor() {
        super();
        this.a = new Lin(2, 2);
        this.b = this.a;
      }
    }
    const s = new SharedModule();
    assert.deepEqual(names(s.namedModules()), ['', 'a']);
    assert.equal(s.parameters().length, 2);
    assert.equal(s.numParameters(), 6);
  });

  it('a shared submodule appears under each of its names in the state dict, as in PyTorch', () => {
    class SharedModule extends Module {
      declare enc: Lin;
      declare dec: Lin;
      constructor() {
        super();
        this.enc = new Lin(2, 2);
        this.dec = this.enc;
      }
    }
    assert.deepEqual(Object.keys(new SharedModule().stateDict()), ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
  });

  it('a buffer shared by two submodules is listed once, as named_buffers', () => {
    const m = new Module();
    const a = m.registerModule('a', new Act());
    const b = m.registerModule('b', new Act());
    const t = torch.zeros([2]);
    a.registerBuffer('r', t);
    b.registerBuffer('r', t);
    assert.deepEqual(names(m.namedBuffers()), ['a.r']);
  });

  it('apply visits children first, then the module', () => {
    const n = new Net();
    const seen: string[] = [];
    n.apply((m) => seen.push(m.constructor.name));
    assert.deepEqual(seen, ['Lin', 'Act', 'Lin', 'Act', 'Sequential', 'Net']);
  });
});

describe('modes and gradients', () => {
  it('train() and eval() reach every submodule and return the module', () => {
    const n = new Net();
    assert.ok([...n.modules()].every((m) => m.training));
    assert.equal(n.eval(), n);
    assert.ok([...n.modules()].every((m) => !m.training));
    n.train();
    assert.ok([...n.modules()].every((m) => m.training));
    n.train(false);
    assert.equal((n.head.at(1) as Act).training, false);
  });

  it('requiresGrad_(false) freezes every parameter; backward then leaves no grads', () => {
    const n = new Net();
    n.fc1.requiresGrad_(false);
    assert.ok(!n.fc1.weight.requiresGrad && !n.fc1.bias!.requiresGrad);
    assert.equal(n.numParameters({ trainableOnly: true }), 8 * 2 + 2);
    n.call(torch.randn([3, 4])).sum().backward();
    assert.equal(n.fc1.weight.grad, null);
    assert.notEqual((n.head.at(0) as Lin).weight.grad, null);
    n.requiresGrad_(false);
    assert.equal(n.numParameters({ trainableOnly: true }), 0);
    n.requiresGrad_();
    assert.ok(n.parameters().every((p) => p.requiresGrad));
  });

  it('zeroGrad() sets grads to null; zeroGrad({ setToNone: false }) zeroes them in place', () => {
    const n = new Net();
    // Through fc1 only: through the whole net, both ReLU outputs of the head can be dead for all
    // three random samples, and the grad would be zero before zeroGrad (a flaky test).
    n.fc1.call(torch.randn([3, 4])).sum().backward();
    const w = n.fc1.weight;
    const g = w.grad!;
    assert.ok(g.abs().sum().item() > 0);
    n.zeroGrad({ setToNone: false });
    assert.equal(w.grad!.abs().sum().item(), 0);
    assert.equal(g.abs().sum().item(), 0, 'the same grad tensor was zeroed');
    n.zeroGrad();
    assert.ok(n.parameters().every((p) => p.grad === null));
    n.zeroGrad({ setToNone: false }); // no grads: nothing to do
    assert.ok(n.parameters().every((p) => p.grad === null));
  });
});

describe('to()', () => {
  it("to('float64') keeps the tensor objects (an optimizer's references follow) and moves their grads", () => {
    const n = new Net();
    n.registerBuffer('steps', torch.zeros([1], { dtype: 'int64' }));
    n.call(torch.randn([3, 4])).sum().backward();
    const held = n.parameters(); // what an optimizer built now would hold
    const w = n.fc1.weight;
    assert.equal(n.to('float64'), n);
    assert.equal(n.fc1.weight, w);
    assert.deepEqual(n.parameters(), held);
    assert.ok(held.every((p) => p.dtype === 'float64' && p.isLeaf && p.requiresGrad));
    assert.ok(held.every((p) => p.grad!.dtype === 'float64'), 'grads moved too');
    assert.equal(n.scale.dtype, 'float64');
    assert.equal((n as unknown as { steps: Tensor }).steps.dtype, 'int64', 'integer buffers keep their dtype');
    n.zeroGrad();
    n.call(torch.randn([3, 4], { dtype: 'float64' })).sum().backward();
    assert.equal(held[0]!.grad!.dtype, 'float64', 'backward reaches the moved parameters');
    n.float();
    assert.ok(held.every((p) => p.dtype === 'float32'));
    n.to({ dtype: 'float64' });
    assert.equal(w.dtype, 'float64');
    n.double().to('cpu');
    assert.equal(w.device, 'cpu');
  });

  it("to({ memoryFormat: 'channels_last' }) restrides 4-D parameters only, as PyTorch; the outputs do not change", () => {
    const m = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4), new Flatten(), new Linear(4 * 4 * 4, 2));
    const conv = m.at(0) as Conv2d;
    const w = conv.weight;
    const x = torch.randn([2, 3, 6, 6]);
    const before = torch.noGrad(() => m.eval().call(x));
    assert.equal(m.to({ memoryFormat: 'channels_last' }), m);
    assert.equal(conv.weight, w, 'the same tensor object (optimizers keep their references)');
    assert.ok(w.isContiguous('channels_last') && !w.isContiguous());
    assert.ok((m.at(3) as Linear).weight.isContiguous(), '2-D weights are left alone');
    const after = torch.noGrad(() => m.call(x.contiguous('channels_last')));
    assert.ok(Number(after.sub(before).abs().max().item()) < 1e-5);
    assert.throws(() => m.to({ memoryFormat: 'nhwc' as never }), /memoryFormat must be 'channels_last'/);
  });
});

describe('state dict', () => {
  it('holds parameters and persistent buffers by dotted name, detached; keepVars gives the tensors themselves', () => {
    const n = new Net();
    const sd = n.stateDict();
    // PyTorch's order: a module's own parameters and buffers, then its children's
    assert.deepEqual(Object.keys(sd), ['scale', 'fc1.weight', 'fc1.bias', 'head.0.weight', 'head.0.bias']);
    assert.ok(!('mask' in sd), 'non-persistent buffers are left out');
    assert.ok(Object.values(sd).every((t) => !t.requiresGrad));
    assert.notEqual(sd['fc1.weight'], n.fc1.weight);
    assert.ok(sd['fc1.weight']!.sharesStorageWith(n.fc1.weight));
    const kv = n.stateDict({ keepVars: true });
    assert.equal(kv['fc1.weight'], n.fc1.weight);
    assert.ok(kv['fc1.weight']!.requiresGrad);
    assert.deepEqual(Object.keys(n.stateDict({ prefix: 'model.' })).slice(0, 2), ['model.scale', 'model.fc1.weight']);
  });

  it('loadStateDict copies values into the same tensor objects', () => {
    const a = new Net();
    const b = new Net();
    const w = b.fc1.weight;
    const res = b.loadStateDict(a.stateDict());
    assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(b.fc1.weight, w);
    assert.ok(w.requiresGrad && w.isLeaf);
    assert.ok(torch.equal(w, a.fc1.weight));
    assert.ok(torch.equal((b.head.at(0) as Lin).bias!, (a.head.at(0) as Lin).bias!));
  });

  it('strict loading names missing and unexpected keys and size mismatches, and copies nothing', () => {
    class Two extends Module {
      declare fc: Lin;
      declare out: Lin;
      constructor() {
        super();
        this.fc = new Lin(3, 3);
        this.out = new Lin(3, 2);
      }
    }
    const m = new Two();
    const before = m.out.weight.clone();
    const sd = { 'fc.weight': torch.zeros([2, 3]), 'out.weight': torch.zeros([2, 3]), extra: torch.zeros([1]), extra2: torch.zeros([1]) };
    assert.throws(() => m.loadStateDict(sd), (e: Error) => {
      assert.ok(e instanceof StateDictError);
      assert.equal(e.name, 'StateDictError');
      const lines = e.message.split('\n\t');
      assert.equal(lines[0], 'Error(s) in loading state_dict for Two:');
      assert.ok(lines.includes('Missing key(s) in state_dict: "fc.bias", "out.bias"'), e.message);
      assert.ok(lines.includes('Unexpected key(s) in state_dict: "extra", "extra2"'), e.message);
      assert.equal(lines[3], 'size mismatch for fc.weight: copying a param with shape [2, 3] from checkpoint, the shape in current model is [3, 3]');
      return true;
    });
    assert.ok(torch.equal(m.out.weight, before), 'a failed load changes nothing');
    // strict: false still refuses a size mismatch, as PyTorch does
    assert.throws(() => m.loadStateDict(sd, { strict: false }),
      /Error\(s\) in loading state_dict for Two:\n\tsize mismatch for fc\.weight: copying a param with shape \[2, 3\] from checkpoint, the shape in current model is \[3, 3\]$/);
    const res = m.loadStateDict({ 'fc.weight': torch.zeros([3, 3]), extra: torch.zeros([1]) }, { strict: false });
    assert.deepEqual(res, { missingKeys: ['fc.bias', 'out.weight', 'out.bias'], unexpectedKeys: ['extra'] });
    assert.equal(m.fc.weight.abs().sum().item(), 0);
    // a non-persistent buffer is not part of the state: loading it is unexpected
    const n = new Net();
    assert.throws(() => n.loadStateDict({ ...n.stateDict(), mask: torch.ones([2]) }), /Unexpected key\(s\) in state_dict: "mask"/);
  });

  it('lists missing keys before unexpected keys, as PyTorch does', () => {
    const m = new Lin(3, 3);
    // PyTorch 1.13: 'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\tUnexpected key(s) in state_dict: "extra". '
    assert.throws(() => m.loadStateDict({ weight: torch.zeros([3, 3]), extra: torch.zeros([1]) }),
      /Error\(s\) in loading state_dict for Lin:\n\tMissing key\(s\) in state_dict: "bias"\n\tUnexpected key\(s\) in state_dict: "extra"$/);
  });

  it('containers give PyTorch\'s keys: 0.weight, layers.1.bias, heads.cls.weight', () => {
    const seq = new Sequential(new Lin(2, 3), new Act(), new Lin(3, 1, false));
    assert.deepEqual(Object.keys(seq.stateDict()), ['0.weight', '0.bias', '2.weight']);
    class Holder extends Module {
      declare layers: ModuleList<Lin>;
      declare heads: ModuleDict<Lin>;
      constructor() {
        super();
        this.layers = new ModuleList([new Lin(2, 2), new Lin(2, 2)]);
        this.heads = new ModuleDict({ cls: new Lin(2, 3, false), box: new Lin(2, 4, false) });
      }
    }
    const h = new Holder();
    assert.deepEqual(Object.keys(h.stateDict()), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'heads.cls.weight', 'heads.box.weight']);
    const h2 = new Holder();
    h2.loadStateDict(h.stateDict());
    assert.ok(torch.equal(h2.heads.get('box')!.weight, h.heads.get('box')!.weight));
  });
});

describe('hooks', () => {
  it('pre-hooks replace the input, hooks the output, in registration order; handles remove them', () => {
    const l = new Lin(2, 2, false);
    torch.noGrad(() => l.weight.copy_(torch.eye(2)));
    const x = torch.tensor([[1, 2]], { dtype: 'float32' });
    const calls: string[] = [];
    const seenInputs: unknown[] = [];
    const h1 = l.registerForwardPreHook((m, input) => {
      assert.equal(m, l);
      calls.push('pre1');
      return [(input[0] as Tensor).mul(10)];
    });
    const h2 = l.registerForwardPreHook(() => { calls.push('pre2'); });
    const h3 = l.registerForwardHook((_m, input, output) => {
      calls.push('hook');
      seenInputs.push((input[0] as Tensor).tolist());
      return (output as Tensor).add(1);
    });
    assert.deepEqual(l.call(x).tolist(), [[11, 21]]);
    assert.deepEqual(calls, ['pre1', 'pre2', 'hook']);
    assert.deepEqual(seenInputs, [[[10, 20]]], 'the forward hook sees the input the pre-hooks made');
    assert.deepEqual(l.forward(x).tolist(), [[1, 2]], 'forward() itself runs no hooks');
    h1.remove();
    h1.remove(); // twice is harmless
    assert.deepEqual(l.call(x).tolist(), [[2, 3]]);
    h3.remove();
    h2.remove();
    assert.deepEqual(l.call(x).tolist(), [[1, 2]]);
    assert.equal(hookCount(l), 0);
  });

  it('`using` removes a hook at the end of the block', () => {
    const n = new Net();
    const shapes: number[][] = [];
    {
      using _h = n.fc1.registerForwardHook((_m, _i, out) => { shapes.push((out as Tensor).shape); });
      n.call(torch.randn([5, 4]));
      assert.equal(hookCount(n.fc1), 1);
    }
    assert.equal(hookCount(n.fc1), 0);
    n.call(torch.randn([5, 4]));
    assert.deepEqual(shapes, [[5, 8]], 'submodule hooks fire when the parent is called, and only while registered');
  });

  it('a pre-hook may return a single value instead of an array, as in PyTorch', () => {
    const l = new Lin(2, 2, false);
    torch.noGrad(() => l.weight.copy_(torch.eye(2)));
    l.registerForwardPreHook(((_m: AnyModule, input: unknown[]) => (input[0] as Tensor).mul(2)) as never);
    assert.deepEqual(l.call(torch.tensor([[1, 2]], { dtype: 'float32' })).tolist(), [[2, 4]]);
  });
});

describe('summary and toString', () => {
  it('summary(): one row per submodule with output shape and parameter count (submodules included, as Lightning), then totals', () => {
    const n = new Net();
    n.eval();
    const before = torch.memory().liveTensors;
    const s = n.summary(torch.randn([3, 4]));
    assert.equal(torch.memory().liveTensors, before + 1, 'only the input tensor remains');
    assert.equal(s, [
      '  | Name   | Type       | Output shape | Params',
      '--+--------+------------+--------------+-------',
      '0 | fc1    | Lin        | [3, 8]       |     40',
      '1 | act    | Act        | [3, 8]       |      0',
      '2 | head   | Sequential | [3, 2]       |     18',
      '3 | head.0 | Lin        | [3, 2]       |     18',
      '4 | head.1 | Act        | [3, 2]       |      0',
      '--+--------+------------+--------------+-------',
      '58 trainable params',
      '0 non-trainable params',
      '58 total params',
      'output shape [3, 2]',
    ].join('\n'));
    assert.ok([...n.modules()].every((m) => !m.training), 'the mode is kept');
    assert.ok([...n.modules()].every((m) => hookCount(m) === 0), 'its hooks are removed');
    n.fc1.requiresGrad_(false);
    const frozen = n.summary(torch.randn([1, 4])).split('\n');
    assert.deepEqual(frozen.slice(-4), ['18 trainable params', '40 non-trainable params', '58 total params', 'output shape [1, 2]']);
    assert.equal(n.fc1.weight.grad, null, 'no gradients recorded');
  });

  it('summary(): layers not run show "-", counts use K and M, and a failing forward leaves no hooks', () => {
    class Big extends Module {
      declare used: Lin;
      declare unused: Lin;
      constructor() {
        super();
        this.used = new Lin(100, 30);
        this.unused = new Lin(1000, 1000);
      }
      override forward(x: Tensor): Tensor {
        return this.used.call(x);
      }
    }
    const b = new Big();
    const rows = b.summary(torch.randn([2, 100])).split('\n');
    assert.match(rows[2]!, /^0 \| used +\| Lin +\| \[2, 30\] +\| +3\.0 K$/);
    assert.match(rows[3]!, /^1 \| unused +\| Lin +\| - +\| +1\.0 M$/);
    assert.equal(rows[rows.length - 2], '1.0 M total params');
    assert.throws(() => b.summary(torch.randn([2, 7])), /matmul/);
    assert.ok([...b.modules()].every((m) => hookCount(m) === 0));
  });

  it('toString() prints the tree as PyTorch does', () => {
    assert.equal(String(new Net()), [
      'Net(',
      '  (fc1): Lin(in=4, out=8, bias=true)',
      '  (act): Act()',
      '  (head): Sequential(',
      '    (0): Lin(in=8, out=2, bias=true)',
      '    (1): Act()',
      '  )',
      ')',
    ].join('\n'));
    assert.equal(String(new Act()), 'Act()');
    assert.equal(String(new ModuleDict({ a: new Act() })), 'ModuleDict(\n  (a): Act()\n)');
  });
});

describe('containers', () => {
  it('Sequential runs its modules in order and indexes, appends and iterates', () => {
    const a = new Lin(2, 3);
    const b = new Act();
    const c = new Lin(3, 1);
    const seq = new Sequential(a, b);
    const x = torch.randn([4, 2]);
    assert.deepEqual(seq.call(x).tolist(), b.call(a.call(x)).tolist());
    assert.equal(seq.length, 2);
    assert.equal(seq.at(0), a);
    assert.equal(seq.at(-1), b);
    assert.throws(() => seq.at(2), /Sequential has 2 modules; index 2 is out of range/);
    assert.equal(seq.append(c), seq);
    assert.deepEqual([...seq], [a, b, c]);
    assert.deepEqual(seq.call(x).shape, [4, 1]);
    assert.throws(() => new Sequential(a, 3 as never), /Sequential: argument 1 is not a Module/);
    const named = new Sequential({ enc: new Lin(2, 3), act: new Act() });
    assert.deepEqual(names(named.namedChildren()), ['enc', 'act']);
    assert.deepEqual(Object.keys(named.stateDict()), ['enc.weight', 'enc.bias']);
    const nested = new Sequential(new Sequential(new Lin(2, 2)), new Lin(2, 2));
    assert.deepEqual(names(nested.namedParameters()), ['0.0.weight', '0.0.bias', '1.weight', '1.bias']);
  });

  it('Sequential from a Map keeps the order of its names (an object literal cannot: JS lists integer-like keys first)', () => {
    const seq = new Sequential(new Map<string, AnyModule>([['proj', new Lin(2, 3)], ['1', new Lin(3, 4)]]) as never);
    assert.deepEqual(names(seq.namedChildren()), ['proj', '1']);
    assert.deepEqual(seq.call(torch.randn([1, 2])).shape, [1, 4]);
  });

  it('ModuleList holds modules whose parameters the parent sees', () => {
    const l = new ModuleList([new Lin(2, 2), new Lin(2, 2)]);
    assert.equal(l.length, 2);
    l.push(new Lin(2, 1));
    assert.equal(l.length, 3);
    assert.equal(l.at(-1).outF, 1);
    assert.throws(() => l.at(5), /ModuleList has 3 modules; index 5 is out of range/);
    assert.throws(() => l.push(3 as never), /ModuleList holds Modules only/);
    let x = torch.randn([1, 2]);
    for (const m of l) x = m.call(x);
    assert.deepEqual(x.shape, [1, 1]);
    assert.deepEqual(names(l.namedParameters()).slice(-2), ['2.weight', '2.bias']);
    const many = new ModuleList(Array.from({ length: 12 }, () => new Act()));
    assert.deepEqual(names(many.namedChildren()), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'], 'numeric order past 9');
  });

  it('ModuleDict maps names to modules and refuses names of Module members', () => {
    const enc = new Lin(2, 2);
    const d = new ModuleDict({ enc });
    d.set('dec', new Lin(2, 2));
    assert.equal(d.get('enc'), enc);
    assert.equal(d.get('nope'), undefined);
    assert.ok(d.has('dec') && !d.has('forward'));
    assert.deepEqual(d.keys(), ['enc', 'dec']);
    assert.deepEqual(d.entries().map(([k, m]) => [k, m.outF]), [['enc', 2], ['dec', 2]]);
    assert.throws(() => d.set('forward', new Act() as never), /ModuleDict: 'forward' is the name of a Module member; pick another key/);
    assert.throws(() => d.set('keys', new Act() as never), /'keys' is the name of a Module member/);
    assert.throws(() => d.set('a.b', new Act() as never), /invalid attribute name 'a\.b'/);
    const replaced = new Lin(2, 2);
    d.set('enc', replaced);
    assert.deepEqual(d.keys(), ['enc', 'dec'], 'replacing keeps the position');
    assert.equal(d.get('enc'), replaced);
  });

  it('ModuleDict keeps insertion order for integer-like keys added with set()', () => {
    const d = new ModuleDict();
    for (const k of ['b', '1', 'a', '0']) d.set(k, new Act());
    assert.deepEqual(d.keys(), ['b', '1', 'a', '0']);
    assert.deepEqual(Object.keys(new ModuleDict({ b: new Lin(1, 1, false), 1: new Lin(1, 1, false) }).stateDict()), ['1.weight', 'b.weight'], 'an object literal has lost the order before ModuleDict sees it');
  });

  it("ModuleDict refuses the key 'training'", () => {
    const d = new ModuleDict();
    assert.throws(() => d.set('training', new Act()), /training/);
  });
});

describe('dispose', () => {
  it('dispose() frees every parameter and buffer of the tree', () => {
    const before = torch.memory().liveTensors;
    const n = torch.tidy(() => new Net());
    // 4 parameters, 2 buffers and the _hidden parameter are kept; the plain cache tensor was the tidy's
    assert.equal(torch.memory().liveTensors - before, 7);
    assert.ok(n.cache.isDisposed);
    n.dispose();
    assert.equal(torch.memory().liveTensors - before, 1, 'what is left: _hidden, which is not state');
    assert.ok(n.fc1.weight.isDisposed && (n.head.at(0) as Lin).bias!.isDisposed && n.scale.isDisposed && n.mask.isDisposed);
    n._hidden.dispose();
    assert.equal(torch.memory().liveTensors, before);
    n.dispose(); // twice is harmless
  });
});
