// Runs checks cheap first. A check that throws is reported with verdict 'error' and the message, and
// the others still run: a doctor that dies on the first odd model tells nobody anything.

import { torch } from '../torch/index.js';
import type { Check, CheckResult, DoctorContext, Verdict } from './types.js';

const COST_ORDER = { cheap: 0, moderate: 1, expensive: 2 } as const;

export interface DoctorReport {
  results: CheckResult[];
  /** the worst verdict: fail > error > warn > pass > skip */
  verdict: Verdict;
  counts: Record<Verdict, number>;
  seconds: number;
}

export interface RunChecksOptions {
  /** only these costs (default: all) */
  costs?: readonly Check['cost'][];
  /** only checks whose id is listed */
  only?: readonly string[];
  /** called as each check finishes (progress output) */
  onResult?: (r: CheckResult, index: number, total: number) => void;
  onStart?: (c: Check, index: number, total: number) => void;
}

const RANK: Record<Verdict, number> = { skip: 0, pass: 1, warn: 2, error: 3, fail: 4 };

export function worst(verdicts: Iterable<Verdict>): Verdict {
  let w: Verdict = 'pass';
  let any = false;
  for (const v of verdicts) {
    if (!any || RANK[v] > RANK[w]) w = v;
    any = true;
  }
  return any ? w : 'skip';
}

export async function runChecks(checks: readonly Check[], ctx: DoctorContext, opts: RunChecksOptions = {}): Promise<DoctorReport> {
  const t0 = performance.now();
  const picked = checks
    .filter((c) => (opts.costs === undefined || opts.costs.includes(c.cost)) && (opts.only === undefined || opts.only.includes(c.id)))
    .map((c, i) => ({ c, i }))
    .sort((a, b) => COST_ORDER[a.c.cost] - COST_ORDER[b.c.cost] || a.i - b.i)
    .map((x) => x.c);
  if (opts.only) {
    const known = new Set(checks.map((c) => c.id));
    const unknown = opts.only.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new RangeError(`doctor: unknown check(s) ${unknown.join(', ')}; the checks are ${[...known].join(', ')}`);
  }
  const results: CheckResult[] = [];
  for (const [i, c] of picked.entries()) {
    opts.onStart?.(c, i, picked.length);
    const c0 = performance.now();
    // every check gets the same generator state, so results do not depend on which others ran
    const rng = torch.getRngState().keep();
    let r: CheckResult;
    try {
      torch.manualSeed(ctx.seed);
      r = await c.run(ctx);
    } catch (e) {
      r = {
        id: c.id, title: c.title, group: c.group, verdict: 'error',
        summary: `the check itself failed: ${e instanceof Error ? e.message : String(e)}`,
        evidence: { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) },
        fix: 'this is a bug in the check or an input it does not handle: report it with the config',
        seconds: (performance.now() - c0) / 1000,
      };
    } finally {
      torch.setRngState(rng);
      rng.dispose();
    }
    results.push(r);
    opts.onResult?.(r, i, picked.length);
  }
  const counts: Record<Verdict, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) counts[r.verdict]++;
  return { results, verdict: worst(results.map((r) => r.verdict)), counts, seconds: (performance.now() - t0) / 1000 };
}
