import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { expandSweeps, loadConfig, planSweep, sweepParams } from '../../src/config/index.js';
import { throwsConfig, tree } from './fixture.js';

describe('sweeps', () => {
  test('cartesian product, first swept key slowest, plain overrides kept in place', () => {
    assert.deepEqual(expandSweeps(['a=1,2', 'b=x', 'c=range(0,2)']), [
      ['a=1', 'b=x', 'c=0'], ['a=1', 'b=x', 'c=1'], ['a=2', 'b=x', 'c=0'], ['a=2', 'b=x', 'c=1'],
    ]);
    assert.deepEqual(expandSweeps(['+o.lr=choice(1e-3,3e-4)', "++n=choice('a,b',[1,2])"]), [
      ['+o.lr=0.001', "++n='a,b'"], ['+o.lr=0.001', '++n=[1,2]'], ['+o.lr=0.0003', "++n='a,b'"], ['+o.lr=0.0003', '++n=[1,2]'],
    ]);
    assert.deepEqual(expandSweeps(['x=range(0,1,0.25)']), [['x=0'], ['x=0.25'], ['x=0.5'], ['x=0.75']]);
    assert.deepEqual(expandSweeps([]), [[]]);
    assert.deepEqual(expandSweeps(['~a', 'b=1']), [['~a', 'b=1']]);
  });

  test('glob over group options (needs the options)', () => {
    const options = () => ['adam', 'adamw', 'sgd'];
    assert.deepEqual(expandSweeps(['optim=glob(*,exclude=adamw)'], { groupOptions: options }), [['optim=adam'], ['optim=sgd']]);
    assert.deepEqual(expandSweeps(['optim=glob(adam*)'], { groupOptions: options }), [['optim=adam'], ['optim=adamw']]);
    throwsConfig(() => expandSweeps(['optim=glob(*)']), 'optim=glob(*): glob() selects config group options, so it needs the config folder; use planSweep');
    throwsConfig(() => expandSweeps(['optim=glob(x*)'], { groupOptions: options }), "no option of group 'optim' matches (the options are adam, adamw, sgd)");
  });

  test('params from the config come first; the command line wins for the same key', () => {
    const params = { 'optim.lr': '1e-3,3e-4', seed: [1, 2], fixed: 5 };
    assert.deepEqual(sweepParams({ sweep: { params } }), ['optim.lr=1e-3,3e-4', 'seed=1,2', 'fixed=5']);
    assert.deepEqual(expandSweeps(['seed=9', 'b=1,2'], { params }), [
      ['optim.lr=0.001', 'fixed=5', 'seed=9', 'b=1'], ['optim.lr=0.001', 'fixed=5', 'seed=9', 'b=2'],
      ['optim.lr=0.0003', 'fixed=5', 'seed=9', 'b=1'], ['optim.lr=0.0003', 'fixed=5', 'seed=9', 'b=2'],
    ]);
    throwsConfig(() => sweepParams({ sweep: { params: 'x' } }), 'sweep.params must be a mapping');
    throwsConfig(() => sweepParams({ sweep: { params: { a: [] } } }), 'sweep.params.a is an empty list');
    throwsConfig(() => expandSweeps([], { params: { a: '[1' } }), "cannot parse override 'a=[1'");
  });

  test('planSweep reads sweep.params (also from group files) and globs the group folder; each job loads', () => {
    const dir = tree({
      'config.yaml': 'defaults:\n  - optim: sgd\n  - _self_\nseed: 0\nsweep:\n  params:\n    seed: range(2)\n',
      'optim/sgd.yaml': 'lr: 0.1\n',
      'optim/adam.yaml': 'lr: 0.01\n',
      'experiment/grid.yaml': '# @package _global_\nsweep:\n  params:\n    optim: glob(*)\n',
    });
    const file = path.join(dir, 'config.yaml');
    assert.deepEqual(planSweep(file), [['seed=0'], ['seed=1']]);
    const jobs = planSweep(file, { overrides: ['+experiment=grid'] });
    assert.deepEqual(jobs, [
      ['seed=0', 'optim=adam', '+experiment=grid'], ['seed=0', 'optim=sgd', '+experiment=grid'],
      ['seed=1', 'optim=adam', '+experiment=grid'], ['seed=1', 'optim=sgd', '+experiment=grid'],
    ]);
    const configs = jobs.map((overrides) => loadConfig(file, { overrides }).config);
    assert.deepEqual(configs[1], { optim: { lr: 0.1 }, seed: 0 });
    assert.deepEqual(configs[2], { optim: { lr: 0.01 }, seed: 1 });
  });
});
