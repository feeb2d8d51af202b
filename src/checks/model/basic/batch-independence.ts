// batch-independence: sample i's loss must depend on sample i's input only. In eval mode (BatchNorm
// on its running statistics, dropout off, as the bolts callback does) the gradient of the loss of
// sample i with respect to the whole input batch must be zero on every other row. A reshape or
// view that mixes the batch dimension (x.view(C, B, ...) and back, transpose(0, 1) before a
// flatten), a softmax or a sum over dim 0 all leak gradient across rows.
//
// On a leak the check finds where the mixing starts: forward hooks record each module's input and
// output, and the same row-mixing test runs on them in execution order. The first module whose
// input is clean but whose output mixes is the culprit; a module whose input already mixes although
// the previous module's output was clean points at code between modules (in the parent's forward).

import { torch, type Tensor } from '../../../torch/index.js';
import type { AnyModule } from '../../../nn/module.js';
import { batchOn, defineCheck, describeModule, firstTensor, moduleNames, num, preserving, round, type Finding } from './util.js';

const BATCH = 4;
/** Gradient on another row above this fraction of the sample's own row counts as mixing. */
export const BATCH_LEAK_TOLERANCE = 1e-5;

/** Per-row gradient norms of `scalar` with respect to `x` ([B, ...]); null when x is unused. */
function rowNorms(scalar: Tensor, x: Tensor): number[] | null {
  const [g] = torch.autograd.grad(scalar, x, { retainGraph: true, allowUnused: true });
  if (g === null || g === undefined) return null;
  return g.reshape([g.shape[0]!, -1]).norm(2, 1).toNumbers();
}

/** The worst leak of row i's value into other rows' inputs, relative to row i's own gradient. */
interface Leak {
  /** max over i of max_{j≠i} |g_j| / |g_i| (Infinity when the own gradient is zero but others are not) */
  worst: number;
  /** the sample and the other row of the worst leak */
  sample: number;
  other: number;
  /** rows whose own gradient is zero */
  deadRows: number;
}

function leakOf(rowValue: (i: number) => Tensor, x: Tensor, B: number): Leak | null {
  let worst = 0;
  let sample = 0;
  let other = 0;
  let deadRows = 0;
  let any = false;
  for (let i = 0; i < B; i++) {
    const norms = torch.tidy(() => rowNorms(rowValue(i), x));
    if (norms === null) continue;
    any = true;
    const own = norms[i]!;
    if (own === 0) deadRows++;
    for (let j = 0; j < B; j++) {
      if (j === i) continue;
      const r = norms[j]! === 0 ? 0 : own === 0 ? Infinity : norms[j]! / own;
      if (r > worst) {
        worst = r;
        sample = i;
        other = j;
      }
    }
  }
  return any ? { worst, sample, other, deadRows } : null;
}

/** Row i of y reduced to a scalar with fixed random weights (a sum could be constant, e.g. after softmax). */
function projector(y: Tensor, seedTensor: Tensor): (i: number) => Tensor {
  return (i: number) => {
    const row = y.narrow(0, i, 1);
    const w = seedTensor.narrow(0, 0, row.numel()).reshape(row.shape).to(row.dtype);
    return row.mul(w).sum();
  };
}

interface Site {
  name: string;
  module: AnyModule;
  input: Tensor | null;
  output: Tensor | null;
}

export const batchIndependence = defineCheck({
  id: 'batch-independence',
  title: 'Samples do not mix across the batch',
  cost: 'cheap',
}, (ctx): Finding => {
  const model = ctx.model;
  return torch.tidy((): Finding => {
    const b = batchOn(ctx, model, BATCH);
    const B = b.inputs.shape[0]!;
    if (B < 2) return { verdict: 'skip', summary: `needs 2 samples at least, the training split has ${B}`, evidence: { batch: B } };
    if (!b.inputs.isFloatingPoint()) {
      return { verdict: 'skip', summary: `inputs are ${b.inputs.dtype} (not differentiable): the gradient test needs floating-point inputs`, evidence: { dtype: b.inputs.dtype } };
    }
    const x = b.inputs.detach().clone().requiresGrad_(true);
    const names = moduleNames(model);
    const sites: Site[] = [];
    const handles = [...names].filter(([, n]) => n !== '').map(([m, n]) => m.registerForwardHook((_mod, input, output) => {
      const inp = firstTensor(input);
      const out = firstTensor(output);
      const ok = (t: Tensor | null) => (t !== null && t.ndim >= 1 && t.shape[0] === B && t.requiresGrad ? t : null);
      sites.push({ name: n, module: m, input: ok(inp), output: ok(out) });
    }));
    let out: Tensor;
    try {
      out = preserving(model, () => {
        model.eval();
        return torch.enableGrad(() => {
          const o = firstTensor(model.call(x));
          if (o === null) throw new Error(`${model.constructor.name}.forward returned no tensor`);
          return o;
        });
      });
    } finally {
      for (const h of handles) h.remove();
    }
    if (out.ndim < 1 || out.shape[0] !== B) {
      return { verdict: 'fail', summary: `the output's first dimension is ${out.shape[0] ?? 'missing'} for a batch of ${B} (output shape [${out.shape.join(', ')}])`,
        evidence: { outputShape: out.shape, batch: B }, fix: 'the batch dimension is lost in forward: a reshape or a reduction over dim 0 merges samples; keep dim 0 as the batch' };
    }
    // Fixed pseudo-random weights for projecting a row to a scalar (deterministic: no generator draw).
    const maxNumel = Math.max(out.numel(), ...sites.flatMap((s) => [s.input?.numel() ?? 0, s.output?.numel() ?? 0]));
    const weights = torch.arange(maxNumel, { dtype: 'float32' }).to(x.device).mul(12.9898).sin().mul(43758.5453).frac().sub(0.5);
    // The loss of sample i alone (the user's loss on a one-sample slice), or a projection of its output row.
    let usedLoss = true;
    const lossOf = (i: number): Tensor => {
      if (usedLoss) {
        try {
          return ctx.loss(out.narrow(0, i, 1), b.targets.narrow(0, i, 1));
        } catch {
          usedLoss = false;
        }
      }
      return projector(out, weights)(i);
    };
    const leak = leakOf(lossOf, x, B);
    const evidence: Record<string, number | string | null> = { batch: B, mode: 'eval', tolerance: BATCH_LEAK_TOLERANCE, probe: usedLoss ? 'loss of one sample' : 'random projection of one output row' };
    if (leak === null) {
      return { verdict: 'warn', summary: 'the loss does not depend on the input at all (no gradient reaches it)', evidence,
        fix: 'the input never reaches the output: check that forward uses its argument (not a stored tensor)' };
    }
    evidence.worstLeak = round(leak.worst, 4);
    evidence.sample = leak.sample;
    evidence.leaksInto = leak.other;
    evidence.rowsWithoutOwnGradient = leak.deadRows;
    if (leak.worst <= BATCH_LEAK_TOLERANCE) {
      if (leak.deadRows === B) {
        return { verdict: 'warn', summary: `no sample's loss has a gradient with respect to its own input (batch ${B})`, evidence,
          fix: 'the input does not influence the loss at init: look for a detach(), a zero multiplier or a saturated layer near the input' };
      }
      return { verdict: 'pass', summary: `sample i's loss reaches only input i (worst cross-row gradient ${num(leak.worst)} of the own row, batch ${B}, eval mode)`, evidence };
    }
    // Localise: the first module (in the order modules finish) whose output mixes rows.
    const project = (t: Tensor) => projector(t, weights);
    let culprit: string | null = null;
    let prevClean: Site | null = null;
    const checked: string[] = [];
    for (const s of sites) {
      if (s.output === null) continue;
      const outLeak = leakOf(project(s.output), x, B);
      if (outLeak === null) continue;
      checked.push(s.name);
      if (outLeak.worst <= BATCH_LEAK_TOLERANCE) {
        prevClean = s;
        continue;
      }
      const inLeak = s.input === null ? null : leakOf(project(s.input), x, B);
      if (inLeak !== null && inLeak.worst > BATCH_LEAK_TOLERANCE) {
        const parent = parentOf(s.name);
        const parentModule = [...names].find(([, n]) => n === parent)?.[0] ?? model;
        const where = parent === '' ? `${model.constructor.name}.forward` : `'${parent}' (${parentModule.constructor.name}).forward`;
        culprit = `the code between ${prevClean === null ? 'the input' : describeModule(prevClean.name, prevClean.module)} and ${describeModule(s.name, s.module)} in ${where}`;
        evidence.note = `${describeModule(s.name, s.module)} already receives mixed rows`;
      } else {
        // A container's children may be clean while the container mixes: name the deepest module
        // whose output mixes first in execution order (children finish before their parents).
        culprit = describeModule(s.name, s.module);
      }
      evidence.firstMixingLayer = s.name;
      evidence.layerLeak = round(outLeak.worst, 4);
      break;
    }
    if (culprit === null) {
      const lastClean = prevClean === null ? 'the input' : describeModule(prevClean.name, prevClean.module);
      culprit = `${model.constructor.name}.forward after ${lastClean}`;
    }
    evidence.culprit = culprit;
    evidence.layersChecked = checked.join(', ');
    return {
      verdict: 'fail',
      summary: `samples mix across the batch: the loss of sample ${leak.sample} has gradient on input ${leak.other} (${num(leak.worst)}× its own); mixing starts at ${culprit}`,
      evidence,
      fix: `keep dim 0 as the batch in ${culprit}: a view/reshape that moves the batch dimension (x.view(C, B, …), transpose(0, 1) then flatten) or a softmax/sum/mean over dim 0 mixes samples; reshape with x.reshape(B, …) and reduce over dims ≥ 1 only`,
    };
  });
});

function parentOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(0, i);
}
