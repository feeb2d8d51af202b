import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/config/index.js';
import { throwsConfig } from './fixture.js';

describe('interpolation', () => {
  test('absolute references keep the type when they are the whole value', () => {
    const out = resolveConfig({ seed: 3, a: { b: [1, 2], c: { d: true } }, x: '${seed}', y: '${a.b}', z: '${a.c}', w: '${a.b[1]}', v: '${a.b.0}' });
    assert.deepEqual(out, { seed: 3, a: { b: [1, 2], c: { d: true } }, x: 3, y: [1, 2], z: { d: true }, w: 2, v: 1 });
  });

  test('references inside strings are inserted as text', () => {
    assert.deepEqual(resolveConfig({ seed: 3, n: null, name: 'run_${seed}_${n}', esc: 'cost \\${x}' }), { seed: 3, n: null, name: 'run_3_null', esc: 'cost ${x}' });
  });

  test('relative references: ${.x} is a sibling, ${..x} one level up', () => {
    const out = resolveConfig({ top: 1, model: { width: 8, hidden: '${.width}', up: '${..top}', inner: { w: '${..width}' } } });
    assert.deepEqual(out, { top: 1, model: { width: 8, hidden: 8, up: 1, inner: { w: 8 } } });
  });

  test('chains and references through interpolated nodes', () => {
    const out = resolveConfig({ a: '${b}', b: '${c}', c: 5, m: '${n}', n: { k: 'v' }, p: '${m.k}' });
    assert.deepEqual(out, { a: 5, b: 5, c: 5, m: { k: 'v' }, n: { k: 'v' }, p: 'v' });
  });

  test('oc.env with and without default', () => {
    const env = { HOME_DIR: '/h' };
    const out = resolveConfig({ a: '${oc.env:HOME_DIR}', b: '${oc.env:NOPE,fallback}', c: '${oc.env:NOPE,null}', d: "${oc.env:NOPE,'x,y'}", e: 'p=${oc.env:HOME_DIR}/data', f: '${oc.env:NOPE,${a}}' }, { env });
    assert.deepEqual(out, { a: '/h', b: 'fallback', c: null, d: 'x,y', e: 'p=/h/data', f: '/h' });
    throwsConfig(() => resolveConfig({ k: { p: '${oc.env:NOPE}' } }, { env }), 'k.p: environment variable NOPE is not set', 'give a default: ${oc.env:NOPE,<default>}');
    throwsConfig(() => resolveConfig({ k: '${oc.env:}' }, { env }), 'k: ${oc.env:} is malformed');
    throwsConfig(() => resolveConfig({ k: '${oc.decode:1}' }), "k: unknown resolver 'oc.decode'", 'the resolvers are oc.env');
  });

  test('??? is mandatory: every missing key is named', () => {
    const m = throwsConfig(() => resolveConfig({ optim: { lr: '???' }, data: { path: '???' }, ok: 1 }), 'missing mandatory values (???): optim.lr, data.path', 'optim.lr=<value>');
    assert.ok(m);
    throwsConfig(() => resolveConfig({ a: '???', b: '${a}' }), 'b: interpolation ${a} refers to a, which is mandatory (???)', 'set it with a=<value>');
  });

  test('cycles name the chain', () => {
    throwsConfig(() => resolveConfig({ a: '${b}', b: '${c}', c: '${a}' }), 'interpolation cycle: a -> b -> c -> a');
    throwsConfig(() => resolveConfig({ a: { x: '${a}' } }), 'interpolation cycle');
  });

  test('unknown references name the key and the reference', () => {
    throwsConfig(() => resolveConfig({ optim: { lr: 1 }, sched: { base: '${optim.lrr}' } }), 'sched.base: interpolation ${optim.lrr} refers to optim.lrr, which does not exist (did you mean optim.lr?)');
    throwsConfig(() => resolveConfig({ a: { b: '${...x}' } }), 'a.b: ${...x} goes above the config root');
    throwsConfig(() => resolveConfig({ a: '${x y}' }), 'a: ${x y} is not a valid reference');
    throwsConfig(() => resolveConfig({ a: 'x${b' }), 'a: unterminated interpolation');
    throwsConfig(() => resolveConfig({ l: [1], a: 'v=${l}' }), 'a: ${l} is a list and cannot be inserted into the text');
  });

  test('the input is left unchanged', () => {
    const cfg = { a: '${b}', b: 1 };
    resolveConfig(cfg);
    assert.deepEqual(cfg, { a: '${b}', b: 1 });
  });
});
