import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOverrideValue, parseOverride } from '../../src/config/index.js';
import { throwsConfig } from './fixture.js';

const value = (s: string) => {
  const v = parseOverride(s).value;
  assert.equal(v?.kind, 'value');
  return (v as { value: unknown }).value;
};
const sweep = (s: string) => {
  const v = parseOverride(s).value;
  assert.equal(v?.kind, 'sweep');
  return (v as { values: unknown[] }).values;
};

describe('override grammar', () => {
  test('operations and keys', () => {
    assert.deepEqual(parseOverride('a.b=1'), { op: 'set', key: 'a.b', value: { kind: 'value', value: 1 }, input: 'a.b=1' });
    assert.equal(parseOverride('+a.b=1').op, 'add');
    assert.equal(parseOverride('++a.b=1').op, 'force');
    assert.deepEqual(parseOverride('~a.b'), { op: 'delete', key: 'a.b', input: '~a.b' });
    assert.deepEqual(parseOverride('~a.b=2').value, { kind: 'value', value: 2 });
    assert.deepEqual(parseOverride('db@backup=mysql'), { op: 'set', key: 'db', pkg: 'backup', value: { kind: 'value', value: 'mysql' }, input: 'db@backup=mysql' });
    assert.equal(parseOverride('server/db=pg').key, 'server/db');
  });

  test('value types', () => {
    assert.equal(value('a=42'), 42);
    assert.equal(value('a=-7'), -7);
    assert.equal(value('a=1_000'), 1000);
    assert.equal(value('a=3e-4'), 3e-4);
    assert.equal(value('a=1e-3'), 0.001);
    assert.equal(value('a=.5'), 0.5);
    assert.equal(value('a=2.'), 2);
    assert.equal(value('a=inf'), Infinity);
    assert.equal(value('a=-inf'), -Infinity);
    assert.ok(Number.isNaN(value('a=nan')));
    assert.equal(value('a=true'), true);
    assert.equal(value('a=False'), false);
    assert.equal(value('a=null'), null);
    assert.equal(value("a='1'"), '1');
    assert.equal(value('a="x,y"'), 'x,y');
    assert.equal(value("a='it\\'s'"), "it's");
    assert.equal(value('a=hello world'), 'hello world');
    assert.equal(value('a=  padded  '), 'padded');
    assert.equal(value('a=/data/set-1'), '/data/set-1');
    assert.equal(value('a='), '');
    assert.equal(value('a=x\\,y'), 'x,y');
    assert.equal(value('a=run_${seed}'), 'run_${seed}');
    assert.equal(value('a=${oc.env:X,2}'), '${oc.env:X,2}');
  });

  test('lists and dicts', () => {
    assert.deepEqual(value('a=[1,2]'), [1, 2]);
    assert.deepEqual(value('a=[]'), []);
    assert.deepEqual(value("a=[x, 'y z', [1], {k: v}]"), ['x', 'y z', [1], { k: 'v' }]);
    assert.deepEqual(value('a={a:1,b:x}'), { a: 1, b: 'x' });
    assert.deepEqual(value('a={}'), {});
    assert.deepEqual(value('a={url:http://x}'), { url: 'http://x' });
  });

  test('sweeps', () => {
    assert.deepEqual(sweep('a=1,2,3'), [1, 2, 3]);
    assert.deepEqual(sweep('a=x,[1,2]'), ['x', [1, 2]]);
    assert.deepEqual(sweep('a=choice(1,2)'), [1, 2]);
    assert.deepEqual(sweep("a=choice('a,b', c)"), ['a,b', 'c']);
    assert.deepEqual(sweep('a=range(0,3)'), [0, 1, 2]);
    assert.deepEqual(sweep('a=range(3)'), [0, 1, 2]);
    assert.deepEqual(sweep('a=range(0,1,0.25)'), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(sweep('a=range(0,0.3,0.1)'), [0, 0.1, 0.2]);
    assert.deepEqual(sweep('a=range(5,0,-2)'), [5, 3, 1]);
    assert.deepEqual(sweep('a=range(start=1,stop=3)'), [1, 2]);
    assert.deepEqual(parseOverride('m=glob(*)').value, { kind: 'glob', include: ['*'], exclude: [] });
    assert.deepEqual(parseOverride('m=glob([a*,b*],exclude=bad)').value, { kind: 'glob', include: ['a*', 'b*'], exclude: ['bad'] });
  });

  test('parse errors point at the column and show the forms', () => {
    const m = throwsConfig(() => parseOverride('a.b=[1,2'), "cannot parse override 'a.b=[1,2'", "expected ',' or ']', found the end at column 9", 'the forms are key=value, +key=value');
    assert.ok(m.includes('  a.b=[1,2\n          ^'), m);
    throwsConfig(() => parseOverride('a'), "expected '=', found the end at column 2");
    throwsConfig(() => parseOverride('=1'), 'expected a key such as optim.lr', 'column 1');
    throwsConfig(() => parseOverride('a..b=1'), 'a key without empty parts');
    throwsConfig(() => parseOverride("a='x"), "expected ' closing the string opened at column 3");
    throwsConfig(() => parseOverride('a={b 1}'), "expected ':' after the dict key");
    throwsConfig(() => parseOverride('a=${x'), "expected '}' closing the interpolation");
    throwsConfig(() => parseOverride('a=1]'), "expected ',' or the end of the override, found ']' at column 4");
  });

  test('sweep function errors', () => {
    throwsConfig(() => parseOverride('a=foo(1)'), 'unknown function foo(); the sweep functions are choice(), range(), glob() at column 3');
    throwsConfig(() => parseOverride('a=interval(0,1)'), 'interval() is only for optimizing sweepers');
    throwsConfig(() => parseOverride('a=range(0,0)'), 'range(0, 0, 1) is empty (stop is exclusive)');
    throwsConfig(() => parseOverride('a=range(0,3,0)'), 'step must not be 0');
    throwsConfig(() => parseOverride('a=range(a,3)'), 'range() takes finite numbers');
    throwsConfig(() => parseOverride('a=range(1,2,3,4)'), 'range() takes range(stop)');
    throwsConfig(() => parseOverride('a=choice()'), 'choice() takes one or more values');
    throwsConfig(() => parseOverride('a=glob()'), 'glob() takes glob(pattern)');
    throwsConfig(() => parseOverride('a=1,choice(2)'), 'a plain value (sweep functions stand alone)');
    throwsConfig(() => parseOverride('a=[choice(1)]'), 'a plain value');
    throwsConfig(() => parseOverride('a=choice(x=1)'), 'choice() takes one or more values');
  });

  test('formatOverrideValue reads back as the same value', () => {
    const cases: unknown[] = ['1', 'true', 'a,b', ' x', 'abc', "it's", 'back\\slash', '${a}', 3e-4, -2, Infinity, NaN, null, false, [1, 'a', [true]], { a: 1, b: 'x y' }];
    for (const v of cases) {
      const text = formatOverrideValue(v as never);
      assert.deepEqual(value(`k=${text}`), v, `${JSON.stringify(v)} printed as ${text}`);
    }
    assert.equal(formatOverrideValue('abc'), 'abc');
    assert.equal(formatOverrideValue('1'), "'1'");
  });
});
