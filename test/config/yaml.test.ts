import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseYaml, readYamlFile, toYaml } from '../../src/config/index.js';
import { throwsConfig, tree } from './fixture.js';

describe('yaml', () => {
  test('reads a file into plain values', () => {
    const dir = tree({ 'c.yaml': 'a: 1\nb: [x, 2.5, true, null]\nc: {d: .inf}\ne: 3e-4\n' });
    assert.deepEqual(readYamlFile(path.join(dir, 'c.yaml')), { a: 1, b: ['x', 2.5, true, null], c: { d: Infinity }, e: 0.0003 });
  });

  test('syntax errors name the file, line and column', () => {
    const dir = tree({ 'bad.yaml': 'a: 1\nb: [1, 2\nc: 3\n' });
    const file = path.join(dir, 'bad.yaml');
    throwsConfig(() => readYamlFile(file), `${file}:3:1: YAML syntax error`, 'Flow sequence');
  });

  test('duplicate keys are an error with their line', () => {
    throwsConfig(() => parseYaml('a: 1\na: 2\n', 'dup.yaml'), 'dup.yaml:2:1', 'Map keys must be unique');
  });

  test('non-plain data (binary, sets) is rejected naming the key', () => {
    throwsConfig(() => parseYaml('x:\n  y: !!binary aGVsbG8=\n', 'b.yaml'), 'b.yaml: x.y is binary data');
    throwsConfig(() => parseYaml('s: !!set\n  ? a\n', 's.yaml'), 's.yaml: s is a set');
  });

  test('a missing file is a ConfigError naming it', () => {
    throwsConfig(() => readYamlFile('/nonexistent/c.yaml'), 'cannot read config file /nonexistent/c.yaml');
  });

  test('toYaml prints values that read back the same', () => {
    const v = { a: '1', b: Infinity, c: [1, { d: null }], e: 'x: y', f: '???', g: '${a}', h: true };
    const text = toYaml(v);
    assert.match(text, /^a: "1"$/m);
    assert.match(text, /^b: \.inf$/m);
    assert.deepEqual(parseYaml(text), v);
  });
});
