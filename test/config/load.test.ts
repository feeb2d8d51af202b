import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { deletePath, getPath, hasPath, loadConfig, setPath, toYaml } from '../../src/config/index.js';
import { throwsConfig, tree } from './fixture.js';

const files = {
  'config.yaml': 'defaults:\n  - model: cnn\n  - _self_\nseed: 1\nname: run_${seed}\noptim:\n  lr: 0.1\n  betas: [0.9, 0.99]\ndata:\n  root: ${oc.env:DATA,/tmp/data}\n',
  'model/cnn.yaml': 'name: cnn\nwidth: 8\nhidden: ${.width}\n',
  'model/resnet.yaml': 'name: resnet\nwidth: 64\nhidden: ${.width}\n',
};

describe('loadConfig', () => {
  test('composes, overrides and interpolates; defaults removed', () => {
    const dir = tree(files);
    const r = loadConfig(path.join(dir, 'config.yaml'), { overrides: ['seed=7', 'model=resnet', '+optim.wd=0.01', '~optim.betas'], env: { DATA: '/d' } });
    assert.deepEqual(r.config, { model: { name: 'resnet', width: 64, hidden: 64 }, seed: 7, name: 'run_7', optim: { lr: 0.1, wd: 0.01 }, data: { root: '/d' } });
    assert.deepEqual(r.choices, { model: 'resnet' });
    assert.deepEqual(r.overrides, ['seed=7', 'model=resnet', '+optim.wd=0.01', '~optim.betas']);
    assert.ok(!('defaults' in r.config));
  });

  test('path without .yaml, env default, ++ and ~key=value', () => {
    const dir = tree(files);
    const r = loadConfig(path.join(dir, 'config'), { overrides: ['++optim.lr=1e-3', '++new.key=x', '~seed=1', 'name=fixed'], env: {} });
    assert.equal(getPath(r.config, 'optim.lr'), 0.001);
    assert.equal(getPath(r.config, 'new.key'), 'x');
    assert.equal(r.config.seed, undefined);
    assert.equal(r.config.name, 'fixed');
    assert.equal(getPath(r.config, 'data.root'), '/tmp/data');
  });

  test('an override value can hold an interpolation', () => {
    const dir = tree(files);
    assert.equal(loadConfig(path.join(dir, 'config.yaml'), { overrides: ['name=${model.name}_${seed}'], env: {} }).config.name, 'cnn_1');
  });

  test('??? filled by an override; still missing is an error naming the key', () => {
    const dir = tree({ 'config.yaml': 'optim:\n  lr: ???\n' });
    const file = path.join(dir, 'config.yaml');
    assert.deepEqual(loadConfig(file, { overrides: ['optim.lr=0.1'] }).config, { optim: { lr: 0.1 } });
    throwsConfig(() => loadConfig(file), 'missing mandatory value (???): optim.lr', 'optim.lr=<value>');
  });

  test('key override errors suggest the fix', () => {
    const dir = tree(files);
    const file = path.join(dir, 'config.yaml');
    throwsConfig(() => loadConfig(file, { overrides: ['optim.lrr=1'] }), 'cannot override optim.lrr (from optim.lrr=1): the config has no key optim.lrr (did you mean optim.lr?); to add it write +optim.lrr=1');
    throwsConfig(() => loadConfig(file, { overrides: ['+optim.lr=1'] }), 'cannot add optim.lr (from +optim.lr=1): it already exists (value 0.1); write optim.lr=1 to change it or ++optim.lr=1');
    throwsConfig(() => loadConfig(file, { overrides: ['~optim.lrr'] }), 'cannot delete optim.lrr (from ~optim.lrr): the config has no key optim.lrr (did you mean optim.lr?)');
    throwsConfig(() => loadConfig(file, { overrides: ['~optim.lr=5'] }), 'cannot delete optim.lr (from ~optim.lr=5): its value is 0.1, not 5');
    throwsConfig(() => loadConfig(file, { overrides: ['seed=1,2'] }), 'seed=1,2 is a sweep; expand it with expandSweeps()');
    throwsConfig(() => loadConfig(file, { overrides: ['model=a,b'] }), 'model=a,b is a sweep');
    throwsConfig(() => loadConfig(file, { overrides: ['+seed.x=1'] }), 'cannot set seed.x: seed is 1, not a mapping');
    throwsConfig(() => loadConfig(file, { overrides: ['seed@p=1'] }), "'@p' (a package) only applies to config groups");
    throwsConfig(() => loadConfig(file, { overrides: ['seed=[1'] }), "cannot parse override 'seed=[1'");
    throwsConfig(() => loadConfig(path.join(dir, 'nope.yaml')), 'config file not found:');
  });

  test('sweep.params is removed from the job config', () => {
    const dir = tree({ 'config.yaml': 'a: 1\nsweep:\n  params:\n    a: 1,2\n' });
    assert.deepEqual(loadConfig(path.join(dir, 'config.yaml')).config, { a: 1 });
  });

  test('the loaded config prints as YAML', () => {
    const dir = tree(files);
    const text = toYaml(loadConfig(path.join(dir, 'config.yaml'), { env: {} }).config);
    assert.match(text, /^name: run_1$/m);
    assert.match(text, /^ {2}hidden: 8$/m);
  });
});

describe('path helpers', () => {
  test('getPath / hasPath / setPath / deletePath', () => {
    const c = { a: { b: [1, { c: 2 }] }, n: null };
    assert.equal(getPath(c, 'a.b[1].c'), 2);
    assert.equal(getPath(c, 'a.b.1.c'), 2);
    assert.equal(getPath(c, 'a.x'), undefined);
    assert.equal(getPath(c, ['a', 'b', 0]), 1);
    assert.ok(hasPath(c, 'n'));
    assert.ok(!hasPath(c, 'n.x'));
    setPath(c, 'x.y.z', 3);
    setPath(c, 'a.b.0', 9);
    assert.deepEqual(c, { a: { b: [9, { c: 2 }] }, n: null, x: { y: { z: 3 } } });
    assert.ok(deletePath(c, 'a.b.0'));
    assert.ok(!deletePath(c, 'a.q'));
    assert.deepEqual(c.a.b, [{ c: 2 }]);
    throwsConfig(() => setPath(c, 'a.b.k', 1), "cannot set a.b.k: a.b is a list of 1 items and 'k' is not an index into it");
    throwsConfig(() => setPath(c, '', 1), 'cannot set the config root');
  });
});
