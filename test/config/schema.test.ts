import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, validateConfig } from '../../src/config/index.js';
import { throwsConfig } from './fixture.js';

const schema = z.strictObject({
  optim: z.strictObject({ name: z.enum(['sgd', 'adam', 'adamw', 'rmsprop']), lr: z.number().positive(), wd: z.number().default(0) }),
  trainer: z.strictObject({ epochs: z.int().min(1), devices: z.array(z.string()).min(1), precision: z.literal('bf16').optional() }),
  tags: z.record(z.string(), z.string()).optional(),
});

const good = { optim: { name: 'adam', lr: 3e-4 }, trainer: { epochs: 10, devices: ['cuda:0'] } };

describe('validateConfig', () => {
  test('returns the typed, parsed value (defaults applied)', () => {
    const v = validateConfig(good, schema);
    assert.equal(v.optim.wd, 0);
    assert.equal(v.trainer.epochs, 10);
  });

  test('every bad key is named by its dotted path', () => {
    const bad = { optim: { name: 'adma', lr: 'fast' }, trainer: { epochz: 3, devices: [] }, extra: 1 };
    const m = throwsConfig(
      () => validateConfig(bad, schema),
      'invalid config (6 problems):',
      'optim.lr: expected a number, got "fast"',
      'optim.name: must be one of sgd, adam, adamw, rmsprop, got "adma" (did you mean adam?)',
      'trainer.epochz is not a key of trainer; the keys are epochs, devices, precision (did you mean epochs?)',
      'trainer.epochs: missing (expected a number)',
      'trainer.devices: must have at least 1 items, got 0',
      'extra is not a key of the config root; the keys are optim, trainer, tags',
    );
    assert.equal(m.split('\n').length, 7);
  });

  test('numbers, bounds, literals and details', () => {
    const cases: [unknown, string][] = [
      [{ ...good, optim: { name: 'sgd', lr: -1 } }, 'optim.lr: must be > 0, got -1'],
      [{ ...good, trainer: { epochs: 1.5, devices: ['a'] } }, 'trainer.epochs: expected an integer, got 1.5'],
      [{ ...good, trainer: { epochs: 0, devices: ['a'] } }, 'trainer.epochs: must be >= 1, got 0'],
      [{ ...good, trainer: { epochs: 1, devices: 'cuda' } }, 'trainer.devices: expected a list, got "cuda"'],
      [{ ...good, trainer: { epochs: 1, devices: [3] } }, 'trainer.devices.0: expected a string, got 3'],
      [{ ...good, trainer: { epochs: 1, devices: ['a'], precision: 'fp8' } }, 'trainer.precision: must be bf16, got "fp8"'],
      [{ ...good, optim: 'adam' }, 'optim: expected a mapping, got "adam"'],
      [{ ...good, tags: { a: 1 } }, 'tags.a: expected a string, got 1'],
      [[1], '(root): expected a mapping, got a list [1]'],
    ];
    for (const [value, msg] of cases) throwsConfig(() => validateConfig(value as never, schema), msg);
    try {
      validateConfig({ ...good, optim: { name: 'x', lr: 'y' } }, schema);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual([...e.details].sort(), ['optim.lr: expected a number, got "y"', 'optim.name: must be one of sgd, adam, adamw, rmsprop, got "x"']);
    }
  });

  test('unions, strings and nested schemas behind wrappers', () => {
    const s = z.strictObject({
      opt: z.strictObject({ inner: z.strictObject({ k: z.number() }) }).optional(),
      u: z.union([z.number(), z.boolean()]).optional(),
      s: z.string().min(3).optional(),
    });
    throwsConfig(() => validateConfig({ opt: { inner: { k: 1, kk: 2 } } }, s), 'opt.inner.kk is not a key of opt.inner; the keys are k (did you mean k?)');
    throwsConfig(() => validateConfig({ u: 'x' }, s), 'u: does not match any allowed form, got "x"');
    throwsConfig(() => validateConfig({ s: 'ab' }, s), 's: must be at least 3 characters long, got "ab"');
  });
});
