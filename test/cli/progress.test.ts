// The progress bar against a fake stream: redraws in place on a terminal, plain bounded lines
// elsewhere; and the aligned text table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, type ProgressOptions } from '../../src/cli/progress.js';
import { formatTable } from '../../src/cli/table.js';

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (s: string) => { writes.push(s); return true; } } };
}

/** Runs `steps` updates, `msPerStep` apart on a fake clock. */
function run(opts: ProgressOptions, steps: number, msPerStep: number): void {
  let t = 0;
  const bar = new ProgressBar({ ...opts, now: () => t });
  for (let i = 1; i <= steps; i++) {
    t += msPerStep;
    bar.update(i, { loss: 1 / i, acc: 0.91234 });
  }
  bar.finish({ val_acc: 0.95 });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

test('on a terminal: redraws one line with \\r, throttled, fitted to the width', () => {
  const { writes, stream } = fakeStream(true, 110);
  run({ total: 1000, label: 'train', stream, unit: 'img' }, 1000, 5); // 5 s in all, 200 img/s
  // ~10 redraws a second over 5 s, plus the final state and finish().
  assert.ok(writes.length >= 40 && writes.length <= 60, `${writes.length} writes`);
  for (const w of writes) {
    assert.ok(w.startsWith('\r'), JSON.stringify(w));
    assert.ok(w.includes('\x1b[K'), 'clears the rest of the line');
    const visible = w.replace(ANSI, '').replace(/[\r\n]/g, '');
    assert.ok(visible.length <= 109, `${visible.length} > 109: ${visible}`);
  }
  const mid = writes[20]!;
  assert.match(mid, /train +\d+% +\|[█▏▎▍▌▋▊▉ ]+\| +\d+\/1000/);
  assert.match(mid, /200 img\/s/);
  assert.match(mid, /eta \d\.\d\d s/);
  assert.match(mid, /loss 0\.\d+/);
  // The last update (done === total) is drawn even though it comes 5 ms after the previous one.
  assert.match(writes.at(-2)!, /100% .*1000\/1000/);
  assert.ok(writes.at(-1)!.endsWith('\n'));
  assert.match(writes.at(-1)!, /1000\/1000 .*5\.00 s .*val_acc 0\.9500/);
  assert.equal(writes.filter((w) => w.includes('\n')).length, 1);
});

test('on a narrow terminal: drops the bar, then cuts the line', () => {
  const { writes, stream } = fakeStream(true, 40);
  run({ total: 100, label: 'train', stream }, 100, 50);
  for (const w of writes) assert.ok(w.replace(ANSI, '').replace(/[\r\n]/g, '').length <= 39, w);
  assert.ok(!writes.some((w) => w.includes('|')));
  assert.ok(writes.some((w) => w.includes('…')));
});

test('not on a terminal: plain lines every 10%, no \\r or escape codes, and a final line', () => {
  const { writes, stream } = fakeStream(false);
  run({ total: 1000, label: 'train', stream }, 1000, 5);
  const lines = writes.join('').split('\n').filter(Boolean);
  assert.equal(lines.length, 10, lines.join('\n')); // 10% ... 90%, then the final line
  assert.ok(!writes.join('').includes('\r'));
  assert.ok(!writes.join('').includes('\x1b'));
  assert.equal(lines[0], 'train  10%  100/1000  200 it/s  0.50 s eta 4.50 s  loss 0.01000  acc 0.9123');
  assert.equal(lines.at(-1), 'train 100%  1000/1000  200 it/s  5.00 s  loss 0.001000  acc 0.9123  val_acc 0.9500');
});

test('not on a terminal: a slow run also prints every plainEverySeconds', () => {
  const { writes, stream } = fakeStream(false);
  run({ total: 20, stream, plainEverySeconds: 30, unit: 'steps' }, 20, 10_000); // 10 s a step
  const lines = writes.join('').split('\n').filter(Boolean);
  // Every 2 steps is 10%; the 30 s rule adds nothing then. The rate is below 1/s, so it is inverted.
  assert.equal(lines.length, 10);
  assert.match(lines[0]!, /^ 10% {2}2\/20 {2}10\.0 s\/steps {2}20\.0 s eta 3 min 00 s/);
  const unknown = fakeStream(false);
  let t = 0;
  const bar = new ProgressBar({ stream: unknown.stream, label: 'eval', now: () => t, plainEverySeconds: 30 });
  for (let i = 1; i <= 100; i++) {
    t += 1000;
    bar.update(i);
  }
  bar.finish();
  const plain = unknown.writes.join('').split('\n').filter(Boolean);
  assert.equal(plain.length, 4); // at 30, 60 and 90 s, then the end; no percent or ETA without a total
  assert.equal(plain[0], 'eval  30  1.00 it/s  30.0 s');
});

test('log() writes above the bar; finish() is idempotent', () => {
  const { writes, stream } = fakeStream(true, 80);
  const bar = new ProgressBar({ total: 10, stream, now: () => 0 });
  bar.update(3);
  bar.log('checkpoint saved');
  bar.finish();
  bar.finish();
  assert.equal(writes[1], '\r\x1b[Kcheckpoint saved\n');
  assert.match(writes[2]!, /^\r 30%/);
  assert.equal(writes.filter((w) => w.endsWith('\n')).length, 2);
});

test('formatTable aligns numbers right and text left', () => {
  const table = formatTable(['Name', 'Type', 'Params', 'Acc'], [
    ['conv1', 'Conv2d', 320, 0.91234],
    ['fc', 'Linear', '1.28M', NaN],
    ['head', 'Linear', '12.3k', null],
  ]);
  assert.equal(table, [
    'Name   Type    Params     Acc',
    '-----------------------------',
    'conv1  Conv2d     320  0.9123',
    'fc     Linear   1.28M     nan',
    'head   Linear   12.3k',
  ].join('\n'));
  assert.equal(formatTable(['a', 'b'], [['1', 'x']], { align: ['left', 'right'], gap: 1 }), 'a b\n---\n1 x');
});
