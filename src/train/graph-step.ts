// A training step recorded in a CUDA graph (issue 3, item 6): forward, loss, backward, clipping and
// the optimizer step are captured once on a side stream, then replayed with each new batch copied
// into the static inputs. On a small model most of an eager step is launch overhead; a replay is
// one launch. The recipe is PyTorch's "whole network capture" (torch.cuda.graphs docs): warm up on a
// side stream, set grads to None, capture, replay.

import { torch, Tensor } from '../torch/index.js';
import type { Optimizer } from '../optim/index.js';
import { clipGradNormTensor_ } from '../optim/index.js';
import type { CUDAGraph } from '../torch/cuda.js';

export interface GraphedTrainStepOptions {
  /** The optimizer; with a graph, every group must be capturable (`capturable: true`). */
  optimizer: Optimizer;
  /** The loss of one batch (forward and loss; the step runs backward and the optimizer). */
  loss: (...batch: Tensor[]) => Tensor;
  /** Record the step in a CUDA graph (default: when the parameters are on CUDA). */
  graph?: boolean;
  /** Eager steps before the capture, on a side stream (default 3; at least 1 with a graph). */
  warmup?: number;
  /** Clip the total gradient norm to this value inside the step (default: no clipping). */
  clipGradNorm?: number;
}

/** Bad use of GraphedTrainStep: names the problem and the fix. */
export class GraphedStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphedStepError';
  }
}

function shapeText(t: Tensor): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

/**
 * One training step, eager or replayed from a CUDA graph:
 *
 *   const step = new GraphedTrainStep({ optimizer, loss: (x, y) => F.cross_entropy(model.forward(x), y) });
 *   for (const [x, y] of loader) { const loss = step.run(x, y); ... }
 *
 * Every run() trains exactly one step on its batch (warm-up steps are real steps). The returned
 * loss is a 0-dim tensor owned by the step and overwritten by the next run(): read it (.item()) or
 * clone it before then. With a graph, batches must keep the first batch's shapes and dtypes (use
 * `dropLast: true` in the loader), and the model and optimizer must not be replaced or re-created
 * (the graph holds their memory): load weights with copy_ / loadStateDict, which write in place.
 */
export class GraphedTrainStep {
  readonly optimizer: Optimizer;
  readonly useGraph: boolean;
  readonly warmup: number;
  private readonly lossFn: (...batch: Tensor[]) => Tensor;
  private readonly clip: number | null;
  private readonly device: string;
  private g: CUDAGraph | null = null;
  private staticInputs: Tensor[] | null = null;
  private staticLoss: Tensor | null = null;
  private lastLoss: Tensor | null = null;
  private count = 0;
  private disposed = false;

  constructor(opts: GraphedTrainStepOptions) {
    const { optimizer } = opts;
    if (optimizer === undefined || typeof optimizer.step !== 'function') throw new GraphedStepError('GraphedTrainStep: options.optimizer must be an Optimizer');
    if (typeof opts.loss !== 'function') throw new GraphedStepError('GraphedTrainStep: options.loss must be a function (...batch) => loss tensor');
    this.optimizer = optimizer;
    this.lossFn = opts.loss;
    const params = optimizer.allParams();
    this.device = params[0]!.device;
    const onCuda = this.device.startsWith('cuda');
    this.useGraph = opts.graph ?? onCuda;
    this.warmup = opts.warmup ?? 3;
    if (!Number.isInteger(this.warmup) || this.warmup < 0) throw new GraphedStepError(`GraphedTrainStep: warmup must be an integer >= 0, got ${String(opts.warmup)}`);
    const clip = opts.clipGradNorm;
    if (clip !== undefined && !(typeof clip === 'number' && clip > 0)) throw new GraphedStepError(`GraphedTrainStep: clipGradNorm must be a number > 0, got ${String(clip)}`);
    this.clip = clip ?? null;
    if (!this.useGraph) return;
    if (!onCuda) {
      throw new GraphedStepError(`GraphedTrainStep: graph: true needs the parameters on CUDA, but they are on ${this.device}; move the model with model.to('cuda') before making the optimizer, or pass graph: false`);
    }
    if (!torch.cuda.graphsSupported()) {
      throw new GraphedStepError('GraphedTrainStep: this addon cannot record CUDA graphs (it was built without the CUDA toolkit headers); rebuild it with CUDA_HOME set (npm run build:native), or pass graph: false');
    }
    const other = params.find((p) => p.device !== this.device);
    if (other !== undefined) throw new GraphedStepError(`GraphedTrainStep: a CUDA graph records one device, but the parameters are on ${this.device} and ${other.device}`);
    optimizer.paramGroups.forEach((g, i) => {
      if (g.capturable !== true) {
        throw new GraphedStepError(`GraphedTrainStep: parameter group ${i} of the optimizer is not capturable; construct it with capturable: true (the lr and step count must live on the device for a replayed step to follow the schedule)`);
      }
    });
    if (this.warmup < 1) throw new GraphedStepError('GraphedTrainStep: a graph needs at least one warm-up step (warmup >= 1): the optimizer state and cuDNN workspaces must exist before the capture');
  }

  /** Steps taken so far (warm-up, capture and replays alike). */
  get steps(): number {
    return this.count;
  }

  /** True once the step has been recorded and runs as a replay. */
  get isCaptured(): boolean {
    return this.g !== null;
  }

  /** Trains one step on `batch`; returns its loss (0-dim, owned by the step until the next run). */
  run(...batch: Tensor[]): Tensor {
    if (this.disposed) throw new GraphedStepError('GraphedTrainStep.run(): the step was disposed');
    if (batch.length === 0 || batch.some((t) => !(t instanceof Tensor))) throw new GraphedStepError('GraphedTrainStep.run(): pass the batch as tensors, run(x, y)');
    let loss: Tensor;
    if (!this.useGraph) loss = this.eager(batch);
    else if (this.count < this.warmup) loss = torch.cuda.sideStream(() => this.eager(batch));
    else {
      if (this.g === null) this.capture(batch);
      loss = this.replay(batch);
    }
    this.count++;
    return loss;
  }

  private oneStep(batch: Tensor[]): Tensor {
    return torch.tidy(() => {
      const loss = this.lossFn(...batch);
      if (!(loss instanceof Tensor) || loss.numel() !== 1 || !loss.isFloatingPoint()) {
        throw new GraphedStepError(`GraphedTrainStep: loss(...) must return a floating-point tensor with one element, got ${loss instanceof Tensor ? shapeText(loss) : typeof loss}`);
      }
      if (!loss.requiresGrad) throw new GraphedStepError('GraphedTrainStep: the loss does not require grad: no parameter reaches it (frozen model, or computed under noGrad?)');
      loss.backward();
      if (this.clip !== null) clipGradNormTensor_(this.optimizer.allParams(), this.clip);
      this.optimizer.step();
      return loss.detach().reshape([]);
    });
  }

  private eager(batch: Tensor[]): Tensor {
    this.optimizer.zeroGrad();
    const loss = this.oneStep(batch).keep();
    this.lastLoss?.dispose();
    this.lastLoss = loss;
    return loss;
  }

  private capture(batch: Tensor[]): void {
    // Static inputs: allocated outside the graph's pool, on the parameters' device.
    this.staticInputs = torch.noGrad(() => batch.map((t) => torch.empty(t.shape, { dtype: t.dtype, device: this.device }).keep()));
    // Grads set to None: the captured backward allocates them in the graph's pool and writes (not
    // adds) into them on every replay; zeroing inside the graph is then not needed.
    this.optimizer.zeroGrad({ setToNone: true });
    this.optimizer.refreshLr();
    const g = new torch.cuda.CUDAGraph();
    this.optimizer.capturing = true;
    try {
      this.staticLoss = torch.cuda.graph(g, () => this.oneStep(this.staticInputs!)).keep();
    } catch (e) {
      g.dispose();
      for (const t of this.staticInputs) t.dispose();
      this.staticInputs = null;
      throw e;
    } finally {
      this.optimizer.capturing = false;
    }
    this.g = g;
  }

  private replay(batch: Tensor[]): Tensor {
    const inputs = this.staticInputs!;
    if (batch.length !== inputs.length) throw new GraphedStepError(`GraphedTrainStep.run(): the step was recorded with ${inputs.length} batch tensors, got ${batch.length}`);
    batch.forEach((t, i) => {
      const s = inputs[i]!;
      if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, j) => d !== s.shape[j])) {
        throw new GraphedStepError(`GraphedTrainStep.run(): batch tensor ${i} is ${shapeText(t)}, but the step was recorded with ${shapeText(s)}; `
          + 'a CUDA graph replays fixed shapes: use dropLast: true in the loader (or pad the last batch), or graph: false');
      }
    });
    torch.noGrad(() => batch.forEach((t, i) => inputs[i]!.copy_(t, { nonBlocking: true })));
    this.optimizer.refreshLr();
    this.g!.replay();
    this.optimizer.stepCount++;
    return this.staticLoss!;
  }

  /** Frees the graph, its static tensors and the last loss. The model and optimizer stay usable eagerly. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.g?.dispose();
    this.g = null;
    for (const t of this.staticInputs ?? []) t.dispose();
    this.staticInputs = null;
    this.staticLoss?.dispose();
    this.staticLoss = null;
    this.lastLoss?.dispose();
    this.lastLoss = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
