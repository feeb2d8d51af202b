// loadModelFile: user models from .ts (compiled on the fly, importing 'sous' and sibling .ts files),
// .mjs and .js files (a .js file inside the repository imports 'sous' by self-reference), and the
// errors for a missing file, a missing export, a non-Module result, a syntax error and the rest.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { torch } from '../../src/index.js';
import { Module } from '../../src/nn/module.js';
import { Linear, Sequential } from '../../src/nn/index.js';
import { loadModelFile, ModelConfigError, ResNet } from '../../src/models/index.js';

/** The repository root (this file runs as dist/test/models/load.test.js). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** This build's entry point and models, for .mjs files outside the repository. */
const ENTRY = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;
const MODELS = pathToFileURL(join(ROOT, 'dist/src/models/index.js')).href;

let dir = '';

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function rejectsConfig(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ModelConfigError, `expected a ModelConfigError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('loadModelFile', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sous-models-test-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("a .ts file outside the repository: imports 'sous' and a sibling .ts file, typed options", async () => {
    write('block.ts', `import { nn, type Tensor } from 'sous';
export class Block extends nn.Module {
  fc: nn.Linear;
  act: nn.ReLU;
  constructor(inF: number, outF: number) {
    super();
    this.fc = new nn.Linear(inF, outF);
    this.act = new nn.ReLU();
  }
  override forward(x: Tensor): Tensor {
    return this.act.call(this.fc.call(x));
  }
}
`);
    const file = write('net.ts', `import { nn } from 'sous';
import type { AnyModule } from 'sous/whatever-types-are-erased';
import { Block } from './block.js';

interface Options { width?: number; numClasses: number }

export default function createModel(opts: Options): AnyModule {
  const width: number = opts.width ?? 16;
  return new nn.Sequential(new nn.Flatten(), new Block(784, width), new nn.Linear(width, opts.numClasses));
}
`);
    const m = await loadModelFile(file, { width: 12, numClasses: 3 });
    assert.ok(m instanceof Module, 'the same Module class as the caller');
    assert.ok(m instanceof Sequential);
    assert.deepEqual(Object.keys(m.stateDict()), ['1.fc.weight', '1.fc.bias', '2.weight', '2.bias']);
    assert.deepEqual(m.stateDict()['1.fc.weight']!.shape, [12, 784]);
    torch.tidy(() => assert.deepEqual(m.call(torch.randn([2, 1, 28, 28])).shape, [2, 3]));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.mjs')), [], 'the compiled files are removed');
    // Loading again gives a fresh model.
    const m2 = await loadModelFile(file, { numClasses: 5 });
    assert.notEqual(m2, m);
    assert.deepEqual(m2.stateDict()['2.weight']!.shape, [5, 16]);
  });

  it('two loads of one .ts file at once both succeed', async () => {
    const file = write('twice.ts', "import { nn } from 'sous';\nexport default (o: { n: number }) => new nn.Linear(o.n, 1);\n");
    const [a, b] = await Promise.all([loadModelFile(file, { n: 2 }), loadModelFile(file, { n: 3 })]);
    assert.deepEqual([a.stateDict().weight!.shape, b.stateDict().weight!.shape], [[1, 2], [1, 3]]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.mjs')), []);
  });

  it('a .ts default export that is a Module subclass is constructed with the options', async () => {
    const file = write('cls.ts', `import { nn, type Tensor } from 'sous';
export default class Tiny extends nn.Module {
  head: nn.Linear;
  constructor(opts: { features: number }) {
    super();
    this.head = new nn.Linear(opts.features, 2);
  }
  override forward(x: Tensor): Tensor { return this.head.call(x); }
}
`);
    const m = await loadModelFile(file, { features: 7 });
    assert.equal(m.constructor.name, 'Tiny');
    assert.deepEqual(m.stateDict()['head.weight']!.shape, [2, 7]);
  });

  it('an .mjs file with an async createModel and no default export', async () => {
    const file = write('lin.mjs', `import { nn } from '${ENTRY}';
export async function createModel(opts) { return new nn.Linear(opts.in, opts.out); }
`);
    const m = await loadModelFile(file, { in: 4, out: 2 });
    assert.ok(m instanceof Linear);
  });

  it('a user file may build a built-in model; its ModelConfigError comes through unchanged', async () => {
    const file = write('builtin.mjs', `import { create } from '${MODELS}';
export default (opts) => create('resnet', opts);
`);
    assert.ok(await loadModelFile(file, { preset: 'resnet20' }) instanceof ResNet);
    await rejectsConfig(loadModelFile(file, { bogus: 1 }), /^resnet: unknown option 'bogus'; allowed options: preset/);
  });

  it("a .js file inside the repository imports 'sous' by self-reference", async () => {
    const inRepo = join(ROOT, `.test-tmp-models-${process.pid}`);
    mkdirSync(inRepo, { recursive: true });
    try {
      const js = join(inRepo, 'model.js');
      writeFileSync(js, "import { nn } from 'sous';\nexport default (o) => new nn.Linear(o.n, 1);\n");
      const ts = join(inRepo, 'model.ts');
      writeFileSync(ts, "import { nn } from 'sous';\nexport default (o: { n: number }) => new nn.Linear(o.n, 2);\n");
      const a = await loadModelFile(js, { n: 3 });
      assert.ok(a instanceof Linear, 'the self-reference resolves to the same dist/src/index.js as the caller');
      const b = await loadModelFile(ts, { n: 3 });
      assert.ok(b instanceof Linear);
      assert.deepEqual(b.stateDict().weight!.shape, [2, 3]);
    } finally {
      rmSync(inRepo, { recursive: true, force: true });
    }
  });

  it('a relative path is taken from the working directory', async () => {
    const file = write('rel.mjs', `import { nn } from '${ENTRY}';\nexport default () => new nn.ReLU();\n`);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.equal((await loadModelFile('./rel.mjs')).constructor.name, 'ReLU');
    } finally {
      process.chdir(cwd);
    }
    assert.ok(file.endsWith('rel.mjs'));
  });

  it('errors: missing file, directory, unsupported extension', async () => {
    await rejectsConfig(loadModelFile(join(dir, 'nope.ts')), /^model file not found: .*nope\.ts/);
    await rejectsConfig(loadModelFile(dir), /is not a file/);
    await rejectsConfig(loadModelFile(write('model.py', 'x = 1\n')), /unsupported extension '\.py'; model files are \.js, \.mjs, \.cjs, \.ts, \.mts/);
  });

  it('errors: no factory export (naming what it exports), a non-function default', async () => {
    await rejectsConfig(loadModelFile(write('none.mjs', 'export const foo = 1;\nexport function bar() {}\n')),
      /has no default export or export named 'createModel' that is a function .*; it exports bar, foo/);
    await rejectsConfig(loadModelFile(write('obj.mjs', 'export default { layers: 3 };\n')), /: default is an object of class Object; it exports default/);
  });

  it('errors: the factory returns something that is not a Module, or throws', async () => {
    await rejectsConfig(loadModelFile(write('plain.mjs', 'export default () => ({ forward() {} });\n')), /the default export returned an object of class Object, not an nn\.Module/);
    await rejectsConfig(loadModelFile(write('num.ts', 'export function createModel(): number { return 42; }\n')), /createModel returned number 42, not an nn\.Module/);
    await rejectsConfig(loadModelFile(write('klass.mjs', 'export default class Foo { constructor(o) { this.o = o; } }\n')), /returned an object of class Foo, not an nn\.Module/);
    await rejectsConfig(loadModelFile(write('boom.mjs', "export default function make() { throw new Error('boom'); }\n")), /the default export \(make\)\(options\) threw: boom/);
    await rejectsConfig(loadModelFile(write('undef.mjs', 'export default () => undefined;\n')), /returned undefined, not an nn\.Module/);
  });

  it('errors: a .ts syntax error names the line; a failing import is reported', async () => {
    await rejectsConfig(loadModelFile(write('bad.ts', 'export default function (opts: {) {\n  return 1;\n}\n')), /bad\.ts does not compile:\n {2}.*bad\.ts:1:\d+: /);
    await rejectsConfig(loadModelFile(write('imp.ts', "import { x } from './missing.js';\nexport default () => x;\n")), /imp\.ts failed to load: .*missing\.js/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.sous.mjs')), [], 'no compiled files are left behind after a failure');
  });
});
