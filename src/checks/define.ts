// Building a check from its body: the clock, the id/title/group around the body's finding, a fix
// kept only where it applies (warn, fail, error), and a body that throws reported as 'error' with
// its message instead of a stack.

import { timer } from './context.js';
import type { Check, CheckResult, DoctorContext, Evidence, Figure, Verdict } from './types.js';

/** What a check's body returns: the result without its id, title, group and clock. */
export interface Finding {
  verdict: Verdict;
  summary: string;
  evidence: Evidence;
  fix?: string;
  figures?: Figure[];
}

/** Runs the body, e.g. with global state saved and restored around it. */
export type Around = <T>(ctx: DoctorContext, fn: () => Promise<T>) => Promise<T>;

const direct: Around = (_ctx, fn) => fn();

export function defineCheck(
  meta: Pick<Check, 'id' | 'title' | 'cost'> & { group?: Check['group'] },
  body: (ctx: DoctorContext) => Promise<Finding> | Finding,
  around: Around = direct,
): Check {
  const group = meta.group ?? 'model';
  return {
    id: meta.id, title: meta.title, cost: meta.cost, group,
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      let f: Finding;
      try {
        f = await around(ctx, async () => body(ctx));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        f = {
          verdict: 'error',
          summary: `${meta.id} could not run: ${msg.split('\n')[0]}`,
          evidence: { error: msg },
          fix: 'see the error; the model, loss or step raised it on a training batch',
        };
      }
      const { fix, ...rest } = f;
      return {
        id: meta.id, title: meta.title, group, ...rest,
        ...(fix !== undefined && f.verdict !== 'pass' && f.verdict !== 'skip' ? { fix } : {}),
        seconds: done(),
      };
    },
  };
}
