// corrupt-images: samples that carry no picture — constant (std 0), all zero, or with NaN/Inf values —
// per split, on the raw inputs where the context has them (all-zero means something there), else on
// the inputs as normalised.

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { samplesOf, presentSplits, resultFrom, fmt, firstFew, type Finding, type Samples } from './arrays.js';

export interface CorruptScan {
  n: number;
  constant: number[];
  allZero: number[];
  nonFinite: number[];
}

/** Indices of constant, all-zero and non-finite samples. */
export function scanCorrupt(s: Samples): CorruptScan {
  const out: CorruptScan = { n: s.n, constant: [], allZero: [], nonFinite: [] };
  for (let i = 0; i < s.n; i++) {
    const o = i * s.d;
    let lo = Infinity;
    let hi = -Infinity;
    let bad = false;
    for (let j = o; j < o + s.d; j++) {
      const v = s.data[j]!;
      if (v - v !== 0) { bad = true; break; }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (bad) out.nonFinite.push(i);
    else if (hi === lo) {
      if (hi === 0) out.allZero.push(i);
      else out.constant.push(i);
    }
  }
  return out;
}

export function corruptImagesCheck(opts: { failShare?: number } = {}): Check {
  const failShare = opts.failShare ?? 0.05;
  return {
    id: 'corrupt-images',
    title: 'Corrupt images (constant, all-zero, NaN/Inf)',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const findings: Finding[] = [];
      const evidence: Evidence = {};
      let total = 0;
      for (const split of presentSplits(ctx)) {
        const raw = split === 'val' ? undefined : ctx.raw?.[split];
        const t = raw && raw.shape[0] === ctx.splits[split]!.inputs.shape[0] ? raw : ctx.splits[split]!.inputs;
        const scan = scanCorrupt(samplesOf(t));
        total += scan.n;
        const bad = scan.constant.length + scan.allZero.length + scan.nonFinite.length;
        evidence[split] = { n: scan.n, source: t === raw ? 'raw' : 'normalised', constant: scan.constant.length, allZero: scan.allZero.length, nonFinite: scan.nonFinite.length };
        if (bad === 0) continue;
        const parts: string[] = [];
        if (scan.allZero.length) parts.push(`${scan.allZero.length} all-zero`);
        if (scan.constant.length) parts.push(`${scan.constant.length} constant`);
        if (scan.nonFinite.length) parts.push(`${scan.nonFinite.length} with NaN/Inf`);
        const indices = firstFew([...scan.nonFinite, ...scan.allZero, ...scan.constant].sort((a, b) => a - b));
        evidence[`${split}Indices`] = indices;
        const share = bad / Math.max(1, scan.n);
        findings.push({
          verdict: scan.nonFinite.length > 0 || share > failShare ? 'fail' : 'warn',
          message: `${split}: ${parts.join(', ')} images (${fmt(100 * share)}%), e.g. #${indices.slice(0, 5).join(', #')}`,
          fix: 'Look at these samples (decode errors, blank scans, failed crops) and drop or repair them; blank images with a label teach the model a class prior, NaN poisons the loss.',
        });
      }
      return resultFrom({ id: 'corrupt-images', title: this.title, seconds: done() }, findings, `no constant, blank or NaN images in ${total} samples`, evidence);
    },
  };
}
