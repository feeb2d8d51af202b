// step-effect: the training step (the user's, or the standard zeroGrad/forward/loss/backward/step)
// run 3 times on a fresh model and optimizer with the same batch must
//   * change the parameters. If none changed: gradients null after the step → the step never calls
//     backward; gradients present (non-zero) → it never calls optimizer.step() (or the lr is 0);
//   * not accumulate gradients across steps. Without zeroGrad, the gradient read after step k is the
//     sum of k fresh gradients: ‖g_k‖ ≈ k‖g_1‖ with g_k pointing along g_1 (same batch, small steps),
//     and ‖g_3‖ ≈ 3× a fresh backward's at the same weights. Fail when ‖g_3‖/‖g_1‖ > 2 and
//     ‖g_3‖/‖fresh‖ > 2 (expected 3 for both; 1 with zeroGrad). A step that clears the gradients
//     after optimizer.step() (null or zero grads) passes: nothing can accumulate.
//   * return a finite loss.

import { torch, type Tensor } from '../../../torch/index.js';
import type { AnyModule } from '../../../nn/module.js';
import type { Optimizer } from '../../../optim/index.js';
import { standardStep } from '../../context.js';
import { batchOn, defineCheck, forwardTensor, listNames, num, round, type Finding } from './util.js';

const BATCH = 16;
const STEPS = 3;
/** ‖g_3‖ over ‖g_1‖ and over a fresh gradient's norm above this means the step accumulates. */
export const ACCUMULATION_RATIO = 2;

interface GradReading {
  /** parameters whose .grad is non-null after the step */
  present: number;
  /** global norm of the .grad tensors after the step */
  norm: number;
  /** dot product with step 1's gradients */
  dotFirst: number;
}

function readGrads(params: Tensor[], first: (Tensor | null)[] | null): GradReading {
  return torch.noGrad(() => torch.tidy(() => {
    let present = 0;
    let sq = 0;
    let dot = 0;
    params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) return;
      present++;
      const gf = g.to('float64');
      sq += gf.pow(2).sum().item();
      const f = first?.[i];
      if (f) dot += gf.mul(f).sum().item();
    });
    return { present, norm: Math.sqrt(sq), dotFirst: dot };
  }));
}

function freshGradNorm(model: AnyModule, params: Tensor[], loss: (o: Tensor, t: Tensor) => Tensor, inputs: Tensor, targets: Tensor): number | null {
  return torch.tidy(() => {
    const l = torch.enableGrad(() => loss(forwardTensor(model, inputs), targets));
    if (!l.requiresGrad) return null;
    const gs = torch.autograd.grad(l, params, { allowUnused: true });
    let sq = 0;
    for (const g of gs) if (g !== null) sq += g.to('float64').pow(2).sum().item();
    return Math.sqrt(sq);
  });
}

export const stepEffect = defineCheck({
  id: 'step-effect',
  title: 'The training step updates the weights once per step',
  cost: 'cheap',
}, async (ctx): Promise<Finding> => {
  const model = await ctx.makeModel();
  let optimizer: Optimizer | null = null;
  const kept: Tensor[] = [];
  try {
    optimizer = ctx.makeOptimizer(model);
    const opt = optimizer;
    const step = ctx.step ?? standardStep(ctx);
    const custom = ctx.step !== undefined;
    const named = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
    const params = named.map(([, p]) => p);
    if (params.length === 0) return { verdict: 'skip', summary: 'the model has no trainable parameters', evidence: { parameters: 0 } };
    const batch = batchOn(ctx, model, BATCH);
    kept.push(batch.inputs.keep(), batch.targets.keep());
    const before = torch.noGrad(() => params.map((p) => p.clone().keep()));
    kept.push(...before);
    model.train();

    const losses: number[] = [];
    const readings: GradReading[] = [];
    let first: (Tensor | null)[] | null = null;
    for (let k = 0; k < STEPS; k++) {
      const l = torch.tidy(() => step(model, opt, { inputs: batch.inputs, targets: batch.targets }));
      losses.push(typeof l === 'number' ? l : Number(l));
      const r = readGrads(params, first);
      if (k === 0) {
        first = torch.noGrad(() => params.map((p) => torch.tidy(() => {
          const g = p.grad;
          return g === null ? null : g.to('float64').keep();
        })));
        for (const g of first) if (g !== null) kept.push(g);
        r.dotFirst = r.norm * r.norm;
      }
      readings.push(r);
    }
    const changedFlags = torch.noGrad(() => torch.tidy(() => params.map((p, i) => !p.equal(before[i]!))));
    const changed = changedFlags.filter(Boolean).length;
    const unchanged = named.filter((_, i) => !changedFlags[i]).map(([n]) => n);
    const fresh = freshGradNorm(model, params, ctx.loss, batch.inputs, batch.targets);
    const lrs = opt.paramGroups.map((g) => g.lr);

    const g1 = readings[0]!;
    const gl = readings[STEPS - 1]!;
    const growth = g1.norm > 0 ? gl.norm / g1.norm : null;
    const cosine = g1.norm > 0 && gl.norm > 0 ? gl.dotFirst / (g1.norm * gl.norm) : null;
    const freshRatio = fresh !== null && fresh > 0 ? gl.norm / fresh : null;
    const evidence = {
      steps: STEPS, stepFn: custom ? 'user step' : 'standard step', losses: losses.map((l) => round(l)),
      paramsChanged: changed, paramTensors: params.length, unchanged,
      gradsPresentAfterStep: readings.map((r) => r.present), gradNormAfterStep: readings.map((r) => round(r.norm)),
      freshGradNorm: fresh === null ? null : round(fresh), growth: growth === null ? null : round(growth, 4),
      freshRatio: freshRatio === null ? null : round(freshRatio, 4), cosineWithFirst: cosine === null ? null : round(cosine, 4), lr: lrs,
    };
    const who = custom ? 'the step function' : 'the standard step';

    if (losses.some((l) => !Number.isFinite(l))) {
      return { verdict: 'fail', summary: `${who} returned a non-finite loss (${losses.map(num).join(', ')})`, evidence,
        fix: 'return loss.item() from the step; a NaN/Inf loss on the first steps points at the inputs, the loss or the learning rate' };
    }
    if (changed === 0) {
      const anyGrad = readings.some((r) => r.present > 0 && r.norm > 0);
      if (readings.every((r) => r.present === 0)) {
        return { verdict: 'fail', summary: `no backward: no parameter changed in ${STEPS} steps and every gradient is null after the step`, evidence,
          fix: 'call loss.backward() in the step, after computing the loss and before optimizer.step()' };
      }
      if (anyGrad) {
        const lrZero = lrs.every((lr) => lr === 0);
        return { verdict: 'fail', summary: lrZero
          ? `no parameter changed in ${STEPS} steps although gradients exist (norm ${num(gl.norm)}): the learning rate is 0`
          : `no optimizer step: gradients exist after the step (norm ${num(gl.norm)}) but no parameter changed in ${STEPS} steps`, evidence,
        fix: lrZero ? 'set a non-zero learning rate' : 'call optimizer.step() after loss.backward() in the step (and check that the optimizer holds the model\'s parameters)' };
      }
      return { verdict: 'fail', summary: `no parameter changed in ${STEPS} steps and the gradients after the step are all zero${fresh !== null && fresh > 0 ? ` although a fresh backward gives norm ${num(fresh)}: no backward reaches them` : ''}`, evidence,
        fix: 'call loss.backward() on the loss of the model\'s output, then optimizer.step()' };
    }
    if (growth !== null && growth > ACCUMULATION_RATIO && (freshRatio === null || freshRatio > ACCUMULATION_RATIO)) {
      return { verdict: 'fail', summary: `gradients accumulate across steps (zeroGrad missing): after ${STEPS} steps the gradient norm is ${num(growth)}× step 1's${freshRatio !== null ? ` and ${num(freshRatio)}× a fresh backward's` : ''} (≈${STEPS} when summed, 1 when cleared)`, evidence,
        fix: 'call optimizer.zeroGrad() (or model.zeroGrad()) at the start of each step, before loss.backward()' };
    }
    const partial = unchanged.length > 0;
    const clearedAfter = readings.every((r) => r.present === 0 || r.norm === 0);
    const summary = `${changed}/${params.length} parameter tensors changed over ${STEPS} steps; gradient norm ${clearedAfter ? 'cleared after each step' : `${num(gl.norm)} after step ${STEPS} vs ${num(g1.norm)} after step 1 (not accumulating)`}; losses ${losses.map(num).join(' → ')}`;
    if (partial) {
      return { verdict: 'warn', summary: `${summary}; unchanged: ${listNames(unchanged)}`, evidence,
        fix: `find why ${listNames(unchanged)} do not move: not in the optimizer, no gradient (see dead-parameters), or a zero learning rate in their param group` };
    }
    return { verdict: 'pass', summary, evidence };
  } finally {
    for (const t of kept) t.dispose();
    optimizer?.dispose();
    model.dispose();
  }
});
