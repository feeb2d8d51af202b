import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { composeConfig, loadConfig } from '../../src/config/index.js';
import { throwsConfig, tree } from './fixture.js';

const base = {
  'config.yaml': 'defaults:\n  - model: cnn\n  - optim: sgd\n  - _self_\nseed: 1\noptim:\n  momentum: 0.5\n',
  'model/cnn.yaml': 'name: cnn\nchannels: [16, 32]\n',
  'model/resnet.yaml': 'name: resnet\ndepth: 18\nchannels: [64]\n',
  'optim/sgd.yaml': 'name: sgd\nlr: 0.1\nmomentum: 0.9\n',
  'optim/adam.yaml': 'name: adam\nlr: 3e-4\n',
};

describe('composition (Defaults List)', () => {
  test('groups merge at their package; _self_ position decides who wins', () => {
    const dir = tree(base);
    const { config, choices } = composeConfig(path.join(dir, 'config.yaml'));
    assert.deepEqual(config, { model: { name: 'cnn', channels: [16, 32] }, optim: { name: 'sgd', lr: 0.1, momentum: 0.5 }, seed: 1 });
    assert.deepEqual(choices, { model: 'cnn', optim: 'sgd' });
  });

  test('_self_ first lets the defaults win', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - _self_\n  - optim: sgd\noptim:\n  momentum: 0.5\n' });
    assert.deepEqual(composeConfig(path.join(dir, 'config.yaml')).config, { optim: { momentum: 0.9, name: 'sgd', lr: 0.1 } });
  });

  test('without _self_ the own content comes last (Hydra 1.1)', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - optim: sgd\noptim:\n  lr: 0.5\n' });
    assert.equal((composeConfig(path.join(dir, 'config.yaml')).config.optim as { lr: number }).lr, 0.5);
  });

  test('lists are replaced, not concatenated', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - model: cnn\nmodel:\n  channels: [8]\n' });
    assert.deepEqual(composeConfig(path.join(dir, 'config.yaml')).config, { model: { name: 'cnn', channels: [8] } });
  });

  test('a later ??? does not erase an earlier value (OmegaConf merge)', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - _self_\n  - optim: adam\noptim:\n  lr: ???\n  wd: ???\n' });
    assert.deepEqual(composeConfig(path.join(dir, 'config.yaml')).config, { optim: { lr: 3e-4, wd: '???', name: 'adam' } });
  });

  test('plain config names merge at the root; group/name at the group package', () => {
    const dir = tree({
      'config.yaml': 'defaults:\n  - base\n  - model/cnn\n  - _self_\nb: 2\n',
      'base.yaml': 'a: 1\nb: 1\n',
      'model/cnn.yaml': 'name: cnn\n',
    });
    assert.deepEqual(composeConfig(path.join(dir, 'config.yaml')).config, { a: 1, b: 2, model: { name: 'cnn' } });
  });

  test('group@pkg places an option at another package; choices keep the package', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - optim: sgd\n  - optim@backup: adam\n' });
    const { config, choices } = composeConfig(path.join(dir, 'config.yaml'));
    assert.deepEqual(config, { optim: { name: 'sgd', lr: 0.1, momentum: 0.9 }, backup: { name: 'adam', lr: 3e-4 } });
    assert.deepEqual(choices, { optim: 'sgd', 'optim@backup': 'adam' });
  });

  test('group: null selects nothing; optional skips a missing option', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - model: null\n  - optional optim: missing\n  - optional db: none\nx: 1\n' });
    const { config, choices } = composeConfig(path.join(dir, 'config.yaml'));
    assert.deepEqual(config, { x: 1 });
    assert.deepEqual(choices, { model: null, optim: 'missing', db: 'none' });
  });

  test('# @package _global_ merges a group file at the root', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - model: cnn\n  - extra: g\n', 'extra/g.yaml': '# a comment\n# @package _global_\nseed: 7\nmodel:\n  name: patched\n' });
    assert.deepEqual(composeConfig(path.join(dir, 'config.yaml')).config, { model: { name: 'patched', channels: [16, 32] }, seed: 7 });
  });

  test('nested defaults in group files are relative to their group', () => {
    const dir = tree({
      'config.yaml': 'defaults:\n  - server: apache\n',
      'server/apache.yaml': 'defaults:\n  - db: mysql\n  - _self_\nport: 80\n',
      'server/db/mysql.yaml': 'driver: mysql\n',
      'server/db/pg.yaml': 'driver: pg\n',
    });
    const file = path.join(dir, 'config.yaml');
    const r = composeConfig(file);
    assert.deepEqual(r.config, { server: { db: { driver: 'mysql' }, port: 80 } });
    assert.deepEqual(r.choices, { server: 'apache', 'server/db': 'mysql' });
    assert.deepEqual(loadConfig(file, { overrides: ['server/db=pg'] }).config, { server: { db: { driver: 'pg' }, port: 80 } });
  });

  test('experiment pattern: override /group in a _global_ file chosen with +experiment', () => {
    const dir = tree({ ...base, 'experiment/fast.yaml': '# @package _global_\ndefaults:\n  - override /optim: adam\nseed: 42\noptim:\n  lr: 0.01\n' });
    const r = loadConfig(path.join(dir, 'config.yaml'), { overrides: ['+experiment=fast'] });
    assert.deepEqual(r.config, { model: { name: 'cnn', channels: [16, 32] }, optim: { name: 'adam', lr: 0.01, momentum: 0.5 }, seed: 42 });
    assert.deepEqual(r.choices, { model: 'cnn', optim: 'adam', experiment: 'fast' });
  });

  test('override entries in the primary change an earlier default; command line wins over them', () => {
    const dir = tree({ ...base, 'config.yaml': 'defaults:\n  - optim: sgd\n  - override optim: adam\n' });
    const file = path.join(dir, 'config.yaml');
    assert.equal(composeConfig(file).choices.optim, 'adam');
    assert.equal(loadConfig(file, { overrides: ['optim=sgd'] }).choices.optim, 'sgd');
  });

  test('command-line group overrides: select, append, add-or-override, delete', () => {
    const dir = tree({ ...base, 'extra/a.yaml': 'x: 1\n' });
    const file = path.join(dir, 'config.yaml');
    assert.deepEqual(loadConfig(file, { overrides: ['model=resnet'] }).config.model, { name: 'resnet', depth: 18, channels: [64] });
    assert.deepEqual(loadConfig(file, { overrides: ['+extra=a'] }).config.extra, { x: 1 });
    assert.deepEqual(loadConfig(file, { overrides: ['++extra=a'] }).choices, { model: 'cnn', optim: 'sgd', extra: 'a' });
    assert.equal(loadConfig(file, { overrides: ['++model=resnet'] }).choices.model, 'resnet');
    assert.equal(loadConfig(file, { overrides: ['~model'] }).config.model, undefined);
    assert.equal(loadConfig(file, { overrides: ['~model=cnn'] }).config.model, undefined);
    assert.equal(loadConfig(file, { overrides: ['model=null'] }).config.model, undefined);
    assert.equal(loadConfig(file, { overrides: ['+optim@backup=adam'] }).config.backup !== undefined, true);
  });

  test('missing option lists the available options', () => {
    const dir = tree(base);
    const file = path.join(dir, 'config.yaml');
    throwsConfig(() => loadConfig(file, { overrides: ['model=resnt'] }), "could not find 'model/resnt' (from override model=resnt) (did you mean resnet?)", "the options for 'model' are cnn, resnet");
    const d2 = tree({ ...base, 'config.yaml': 'defaults:\n  - optim: rmsprop\n' });
    throwsConfig(() => composeConfig(path.join(d2, 'config.yaml')), "could not find 'optim/rmsprop' (in defaults of", 'the options for \'optim\' are adam, sgd');
  });

  test('defaults list errors', () => {
    const check = (defaults: string, ...frags: string[]) => {
      const dir = tree({ ...base, 'config.yaml': `defaults:\n${defaults}\n` });
      throwsConfig(() => composeConfig(path.join(dir, 'config.yaml')), ...frags);
    };
    check('  - optim: sgd\n  - optim: adam', "'optim' is already in the defaults list", "write 'override optim: adam'");
    check('  - override optim: adam', "'override optim' has nothing to override", "drop 'override' to add it");
    check('  - _self_\n  - _self_', 'repeats _self_');
    check('  - {a: 1, b: 2}', 'must be a string or a mapping with one key', "the entries are '- _self_'");
    check('  - "bad key!": x', "malformed group key 'bad key!'");
    check('  - optim: [sgd]', 'must name one option');
    check('  - nothere', "defaults entry 'nothere' names", 'which does not exist');
    check('  - db: mysql', "could not find 'db/mysql'", 'there is no config group folder');
    const d = tree({ 'config.yaml': 'defaults: x\n' });
    throwsConfig(() => composeConfig(path.join(d, 'config.yaml')), "'defaults' must be a list");
  });

  test('command-line group override errors', () => {
    const dir = tree({ ...base, 'extra/a.yaml': 'x: 1\n' });
    const file = path.join(dir, 'config.yaml');
    throwsConfig(() => loadConfig(file, { overrides: ['extra=a'] }), "cannot override 'extra' (from extra=a): 'extra' is not in the defaults list", 'to append it write +extra=a');
    throwsConfig(() => loadConfig(file, { overrides: ['+model=resnet'] }), "cannot append +model: 'model' is already in the defaults list", 'use model=<option>');
    throwsConfig(() => loadConfig(file, { overrides: ['~model=resnet'] }), "cannot delete ~model=resnet: the option chosen for 'model' is cnn, not resnet");
    throwsConfig(() => loadConfig(file, { overrides: ['~extra'] }), "cannot override 'extra' (from ~extra)");
    throwsConfig(() => loadConfig(file, { overrides: ['model=[1]'] }), "'model' is a config group, so its value must be an option name");
    throwsConfig(() => loadConfig(file, { overrides: ['nope/x=a'] }), 'there is no config group folder');
  });

  test('cycles and bad files', () => {
    const dir = tree({ 'config.yaml': 'defaults:\n  - a\n', 'a.yaml': 'defaults:\n  - config\n' });
    throwsConfig(() => composeConfig(path.join(dir, 'config.yaml')), 'defaults list cycle: config.yaml -> a.yaml -> config.yaml');
    const d2 = tree({ 'config.yaml': '- 1\n- 2\n' });
    throwsConfig(() => composeConfig(path.join(d2, 'config.yaml')), 'a config file must hold a mapping at the top level');
    const d3 = tree({ 'config.yaml': '' });
    assert.deepEqual(composeConfig(path.join(d3, 'config.yaml')).config, {});
  });
});
