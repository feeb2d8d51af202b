// shuffled-order: are the training batches mixed? Data stored sorted by class is harmless when the
// loader shuffles and ruinous when it does not (every batch one class: the model chases the class of
// the moment). The check draws a few batches as the model sees them (ctx.trainBatch, with different
// seeds, or the first batches of an epoch from `options.batches`) and compares the classes per batch
// with what a random draw would give; the storage order's runs are reported as context.

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { labelsOf, resultFrom, skipped, fmt, r4, type Finding } from './arrays.js';

export interface ShuffledOrderOptions {
  /** the targets of the first batches of an epoch, in the order the loader yields them (default: ctx.trainBatch draws) */
  batches?: (ctx: DoctorContext) => number[][] | Promise<number[][]>;
  /** batches to draw (default 4) */
  count?: number;
  /** batch size (default 64) */
  size?: number;
}

/** Expected number of distinct classes in a uniform random draw of `b` samples from class shares `p`. */
export function expectedDistinct(p: readonly number[], b: number): number {
  return p.reduce((s, q) => s + (1 - Math.pow(1 - q, b)), 0);
}

/** Share of neighbouring samples with the same label, and the longest run of one label. */
export function runStats(labels: ArrayLike<number>): { sameNeighbour: number; longestRun: number } {
  let same = 0;
  let run = 1;
  let longest = labels.length > 0 ? 1 : 0;
  for (let i = 1; i < labels.length; i++) {
    if (labels[i] === labels[i - 1]) { same++; run++; if (run > longest) longest = run; } else run = 1;
  }
  return { sameNeighbour: labels.length > 1 ? same / (labels.length - 1) : 0, longestRun: longest };
}

export function shuffledOrderCheck(options: ShuffledOrderOptions = {}): Check {
  return {
    id: 'shuffled-order',
    title: 'Training batches are shuffled (mixed classes)',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const base = () => ({ id: 'shuffled-order', title: this.title, seconds: done() });
      if (ctx.task !== 'classification') return skipped(base(), 'regression task: class mixing does not apply');
      const stored = labelsOf(ctx.splits.train.targets);
      const n = stored.length;
      const counts = new Map<number, number>();
      for (const y of stored) counts.set(y, (counts.get(y) ?? 0) + 1);
      if (counts.size < 2) return skipped(base(), `the training set has ${counts.size} class: nothing to mix`);
      const shares = [...counts.values()].map((c) => c / n);
      const storage = runStats(stored);
      const expectedSame = shares.reduce((s, q) => s + q * q, 0);

      const count = options.count ?? 4;
      const size = Math.min(options.size ?? 64, n);
      let batches: number[][];
      const indexSets: string[] = [];
      if (options.batches) {
        batches = (await options.batches(ctx)).slice(0, count);
      } else {
        batches = [];
        for (let k = 0; k < count; k++) {
          const b = ctx.trainBatch(size, ctx.seed + k);
          try {
            batches.push(Array.from(labelsOf(b.targets)));
            indexSets.push(b.indices.join(','));
          } finally {
            b.inputs.dispose();
            b.targets.dispose();
          }
        }
      }
      if (batches.length === 0) return skipped(base(), 'no batches to inspect');
      const distinct = batches.map((b) => new Set(b).size);
      const expected = batches.map((b) => expectedDistinct(shares, b.length));
      const meanDistinct = distinct.reduce((a, b) => a + b, 0) / distinct.length;
      const meanExpected = expected.reduce((a, b) => a + b, 0) / expected.length;
      const single = distinct.filter((d, i) => d === 1 && batches[i]!.length > 1).length;
      const sameBatches = indexSets.length > 1 && new Set(indexSets).size === 1;
      const evidence: Evidence = {
        batchSize: size,
        batches: batches.length,
        classesPerBatch: distinct,
        expectedClassesPerBatch: r4(meanExpected),
        singleClassBatches: single,
        storageSameNeighbour: r4(storage.sameNeighbour),
        storageExpectedSameNeighbour: r4(expectedSame),
        storageLongestRun: storage.longestRun,
        identicalAcrossSeeds: sameBatches,
      };
      const findings: Finding[] = [];
      const fix = 'Shuffle the training data every epoch (DataLoader shuffle: true, or data.shuffle=true in the config); data sorted by class must never be fed in storage order.';
      const sortedNote = storage.sameNeighbour > Math.max(0.5, 3 * expectedSame) ? ` (the data are stored sorted by class: longest run ${storage.longestRun})` : '';
      const sortedStorage = storage.sameNeighbour > Math.max(0.5, 3 * expectedSame);
      if (single === batches.length && batches.length > 0) {
        findings.push({ verdict: 'fail', message: `unshuffled batches: all ${batches.length} batches hold a single class although train has ${counts.size}${sortedNote}`, fix });
      } else if (sameBatches && sortedStorage) {
        findings.push({ verdict: 'fail', message: `unshuffled batches: the same batch for every seed, ${distinct[0]} of ${counts.size} classes in it${sortedNote}`, fix });
      } else if (meanDistinct < 0.5 * meanExpected) {
        findings.push({ verdict: 'warn', message: `batches not shuffled well: ${fmt(meanDistinct)} classes per batch of ${size}, a random draw gives ${fmt(meanExpected)}${sortedNote}`, fix });
      }
      const pass = `batches are mixed: ${fmt(meanDistinct)} classes per batch of ${size} (random: ${fmt(meanExpected)})${sortedStorage ? '; storage order is sorted by class, the loader shuffles it' : ''}`;
      return resultFrom(base(), findings, pass, evidence);
    },
  };
}
