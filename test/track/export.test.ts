// exportRunToTensorBoard on a synthetic run folder: scalars from step and epoch records, hparams from config.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRunToTensorBoard, flattenConfig } from '../../src/track/export.js';
import { readEventFile } from '../../src/track/tensorboard.js';
import { decodeHParamsPluginData, SessionStatus } from '../../src/track/hparams.js';

function syntheticRun(root: string): string {
  const dir = join(root, '2026-01-01_00-00-00_demo');
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    id: 'demo', name: 'demo', status: 'completed', command: 'sous train', started: '2026-01-01T00:00:00.000Z',
    ended: '2026-01-01T00:01:40.000Z', pid: 1, seed: 0,
    result: { epochs: 2, steps: 4, best: null, seconds: 100, last: null, test: { 'test/accuracy': 0.8, 'test/loss': 0.5 } },
  }));
  writeFileSync(join(dir, 'config.yaml'), [
    'name: demo', 'seed: 0', 'optim:', '  name: adamw', '  lr: 0.002', '  betas:', '    - 0.9', '    - 0.999',
    'schedule:', '  max_lr: null', 'data:', '  normalize: true', '  augment:', '    hflip: 0.5', '',
  ].join('\n'));
  const lines = [
    { kind: 'step', step: 1, epoch: 0, loss: 2.3, lr: 0.001 },
    { kind: 'step', step: 2, epoch: 0, loss: 2.1, lr: 0.002 },
    { kind: 'epoch', step: 2, epoch: 0, seconds: 1.5, best: { metric: 'val/accuracy', value: 0.5 }, 'train/loss': 2.2, 'val/accuracy': 0.5 },
    { kind: 'step', step: 3, epoch: 1, loss: 1.9, lr: 0.0015 },
    { kind: 'step', step: 4, epoch: 1, loss: 1.7, lr: 0.001 },
    { kind: 'epoch', step: 4, epoch: 1, seconds: 1.25, best: null, 'train/loss': 1.8, 'val/accuracy': 0.75 },
  ];
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"kind":"step","st`);
  return dir;
}

test('flattenConfig: dotted keys, arrays as JSON, nulls left out', () => {
  assert.deepEqual(flattenConfig({ a: { b: 1, c: { d: 'x' } }, e: [1, 2], f: null, g: false }), { 'a.b': 1, 'a.c.d': 'x', e: '[1,2]', g: false });
});

test('exportRunToTensorBoard: scalars, hparams and final metrics', () => {
  const root = mkdtempSync(join(tmpdir(), 'sous-tbx-'));
  try {
    const dir = syntheticRun(root);
    const res = exportRunToTensorBoard(dir);
    assert.ok(res.file.startsWith(join(dir, 'tensorboard', 'events.out.tfevents.')));
    const events = readEventFile(res.file);
    const scalars = new Map<string, [number, number][]>();
    for (const e of events) for (const v of e.values) {
      if (v.simpleValue !== undefined) scalars.set(v.tag, [...(scalars.get(v.tag) ?? []), [e.step, v.simpleValue]]);
    }
    const f = Math.fround;
    assert.deepEqual(scalars.get('train/loss_step'), [[1, f(2.3)], [2, f(2.1)], [3, f(1.9)], [4, f(1.7)]]);
    assert.deepEqual(scalars.get('lr'), [[1, f(0.001)], [2, f(0.002)], [3, f(0.0015)], [4, f(0.001)]]);
    assert.deepEqual(scalars.get('train/loss'), [[2, f(2.2)], [4, f(1.8)]]);
    assert.deepEqual(scalars.get('val/accuracy'), [[2, 0.5], [4, 0.75]]);
    assert.deepEqual(scalars.get('epoch'), [[2, 0], [4, 1]]);
    assert.deepEqual(scalars.get('seconds'), [[2, 1.5], [4, 1.25]]);
    assert.deepEqual(scalars.get('test/accuracy'), [[4, f(0.8)]]);
    assert.equal(scalars.has('best'), false);
    assert.equal(res.scalars, 4 * 2 + 2 * 4 + 2, 'loss+lr per step, 4 numeric keys per epoch, 2 test metrics');

    // wall times spread over [started, ended] by step
    const t = (step: number) => events.find((e) => e.step === step && e.values[0]?.tag === 'train/loss_step')!.wallTime;
    assert.equal(t(2), Date.parse('2026-01-01T00:00:50Z') / 1000);
    assert.equal(t(4), Date.parse('2026-01-01T00:01:40Z') / 1000);

    assert.deepEqual(res.hparams, { name: 'demo', seed: 0, 'optim.name': 'adamw', 'optim.lr': 0.002, 'optim.betas': '[0.9,0.999]', 'data.normalize': true, 'data.augment.hflip': 0.5 });
    assert.deepEqual(res.metrics, { 'train/loss': 1.8, 'val/accuracy': 0.75, 'test/accuracy': 0.8, 'test/loss': 0.5 });
    const plugin = (tag: string) => events.flatMap((e) => e.values).find((v) => v.tag === tag)?.plugin;
    assert.equal(plugin('_hparams_/session_start_info')?.name, 'hparams');
    const start = decodeHParamsPluginData(plugin('_hparams_/session_start_info')!.content).sessionStart!;
    assert.deepEqual(start.hparams, res.hparams);
    assert.equal(start.startTimeSecs, Date.parse('2026-01-01T00:00:00Z') / 1000);
    assert.equal(decodeHParamsPluginData(plugin('_hparams_/session_end_info')!.content).sessionEnd!.status, SessionStatus.SUCCESS);
    assert.equal(plugin('_hparams_/experiment'), undefined, 'no experiment summary: runs in one log folder share a table');

    // a re-export replaces the earlier file instead of doubling every curve
    const again = exportRunToTensorBoard(dir);
    assert.deepEqual(readdirSync(join(dir, 'tensorboard')), [again.file.split('/').pop()]);

    const other = join(root, 'tb');
    const res2 = exportRunToTensorBoard(dir, other);
    assert.ok(res2.file.startsWith(join(other, 'events.out.tfevents.')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('exportRunToTensorBoard: a folder without run.json is a clear error', () => {
  const root = mkdtempSync(join(tmpdir(), 'sous-tbx-'));
  try {
    assert.throws(() => exportRunToTensorBoard(root), /not a run folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
