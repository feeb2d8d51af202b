// CUDA: availability, synchronisation, the caching allocator's statistics, and CUDA graphs.

import { core } from './native.js';
import { fromNative } from './errors.js';

export function isAvailable(): boolean {
  return core.cudaIsAvailable();
}

export function deviceCount(): number {
  return core.cudaDeviceCount();
}

/** Waits for every queued kernel on the device (all devices when none is given). */
export function synchronize(device?: number): void {
  try {
    core.cudaSynchronize(device ?? null);
  } catch (e) {
    throw fromNative(e, 'cuda.synchronize');
  }
}

function extras(what: string): void {
  if (!isAvailable()) throw new Error(`torch.cuda.${what}(): CUDA is not available on this machine`);
  if (!core.cudaExtras) throw new Error(`torch.cuda.${what}(): the addon was built without the CUDA toolkit headers; rebuild with CUDA_HOME set (npm run build:native)`);
}

export interface CudaMemoryStats {
  allocated: number;
  peakAllocated: number;
  reserved: number;
  peakReserved: number;
  numOoms: number;
}

export function memoryStats(device?: number): CudaMemoryStats {
  extras('memoryStats');
  return core.cudaMemoryStats!(device ?? null);
}

export function memoryAllocated(device?: number): number {
  return memoryStats(device).allocated;
}

export function maxMemoryAllocated(device?: number): number {
  return memoryStats(device).peakAllocated;
}

export function resetPeakMemoryStats(device?: number): void {
  extras('resetPeakMemoryStats');
  core.cudaResetPeak!(device ?? null);
}

/** Returns cached, unused device memory to the driver. */
export function emptyCache(): void {
  if (!isAvailable() || !core.cudaExtras) return;
  core.cudaEmptyCache!();
}

function graphsAvailable(what: string): void {
  extras(what);
  if (core.cudaGraphNew === undefined) throw new Error(`torch.cuda.${what}: this addon has no CUDA-graph entry points; rebuild it (npm run build:native)`);
}

// What a failed capture most often means, for the error message.
const CAPTURE_HINT = 'A CUDA graph records device work only: ops that read a value back to the host (.item(), .tolist(), '
  + 'nonzero, a boolean-mask index, printing a tensor, a data-dependent shape) or that synchronise cannot be captured; '
  + 'run them outside the captured function, and run one eager step (warm-up) first so that lazily created state exists.';

/**
 * A CUDA graph (torch.cuda.CUDAGraph): the kernels a function launches are recorded once and replayed
 * with one launch, which removes the per-op launch cost of small models. The recorded kernels read
 * and write the same memory on every replay: copy new inputs into the tensors used during capture.
 */
export class CUDAGraph {
  private id: number | null;
  private state: 'new' | 'capturing' | 'captured' = 'new';

  constructor() {
    graphsAvailable('CUDAGraph()');
    this.id = core.cudaGraphNew!();
  }

  private handle(what: string): number {
    if (this.id === null) throw new Error(`CUDAGraph.${what}(): the graph was disposed`);
    return this.id;
  }

  /** Starts recording on a side stream (the device is synchronised first). Prefer torch.cuda.graph(g, fn). */
  captureBegin(): void {
    const id = this.handle('captureBegin');
    if (this.state !== 'new') throw new Error(`CUDAGraph.captureBegin(): the graph is already ${this.state}; make a new CUDAGraph to record another region`);
    try {
      core.cudaGraphCaptureBegin!(id);
    } catch (e) {
      throw fromNative(e, 'cuda.CUDAGraph.captureBegin');
    }
    this.state = 'capturing';
  }

  /** Ends recording and builds the executable graph. */
  captureEnd(): void {
    const id = this.handle('captureEnd');
    if (this.state !== 'capturing') throw new Error('CUDAGraph.captureEnd(): no capture in progress (call captureBegin() first)');
    this.state = 'new';
    try {
      core.cudaGraphCaptureEnd!(id);
    } catch (e) {
      const err = fromNative(e, 'cuda.CUDAGraph.captureEnd');
      if (err instanceof Error) err.message += `\n${CAPTURE_HINT}`;
      throw err;
    }
    this.state = 'captured';
  }

  /** Launches the recorded kernels (asynchronously, on the current stream). */
  replay(): void {
    const id = this.handle('replay');
    if (this.state !== 'captured') throw new Error(`CUDAGraph.replay(): nothing was captured yet (the graph is ${this.state}); record it with torch.cuda.graph(g, fn)`);
    try {
      core.cudaGraphReplay!(id);
    } catch (e) {
      throw fromNative(e, 'cuda.CUDAGraph.replay');
    }
  }

  get isCaptured(): boolean {
    return this.state === 'captured';
  }

  /** Frees the graph and its executable (its private memory pool goes back once no tensor uses it). */
  dispose(): void {
    if (this.id === null) return;
    if (this.state === 'capturing') throw new Error('CUDAGraph.dispose(): a capture is in progress; end it first');
    core.cudaGraphDispose!(this.id);
    this.id = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Records `fn` into `g` (torch.cuda.graph): capture runs on a side stream and does not execute
 * anything, so call g.replay() to run it. Tensors `fn` creates and returns are the graph's static
 * outputs (replays overwrite them). A failed capture ends the recording and throws with the cause.
 */
export function graph<T>(g: CUDAGraph, fn: () => T): T {
  g.captureBegin();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    try {
      g.captureEnd();
    } catch {
      // The capture is invalid anyway; the error of fn is the one that explains it.
    }
    if (e instanceof Error) e.message += `\n(during a CUDA-graph capture) ${CAPTURE_HINT}`;
    throw e;
  }
  g.captureEnd();
  return result;
}

/**
 * Runs `fn` on a side stream, as the warm-up before a capture must (PyTorch's recipe): the first
 * runs of cuDNN and cuBLAS choose algorithms and allocate workspaces, which a capture cannot do.
 */
export function sideStream<T>(fn: () => T): T {
  graphsAvailable('sideStream()');
  try {
    core.cudaSideStreamBegin!();
  } catch (e) {
    throw fromNative(e, 'cuda.sideStream');
  }
  try {
    return fn();
  } finally {
    core.cudaSideStreamEnd!();
  }
}

/** True when this addon can record CUDA graphs (a CUDA device and a build with the toolkit headers). */
export function graphsSupported(): boolean {
  return isAvailable() && core.cudaExtras && core.cudaGraphNew !== undefined;
}
