// DataLoader: batches of a Dataset, shuffled by a seeded permutation per epoch, transformed on the
// main thread or in a pool of worker threads, collated into tensors on the main thread.
//
// Workers only see typed arrays and transform descriptions: the libtorch addon keeps process-global
// state and must only be used from the main thread. Each sample's augmentations draw from its own
// generator, seeded by (seed, epoch, dataset index) (with a sampler: (seed, epoch, position in the
// epoch)), so batches do not depend on the worker count or on timing. Batch tensors belong to the caller: dispose them at the end of the loop body.
// See docs/data-loading.md.

import { Worker } from 'node:worker_threads';
import { torch, type Tensor, type DeviceLike } from '../torch/index.js';
import { Compose, applyTransforms, type TransformSpec } from './transforms.js';
import { Rng, permutation, sampleRng } from './random.js';
import { DataError, type Dataset, type Image, type LabeledImage } from './types.js';
import type { WorkerInit, WorkerReply, WorkerSource, WorkerTask } from './loader-worker.js';

/** What the default collate yields. The tensors are the caller's to dispose. */
export interface Batch {
  /** [B, C, H, W] float32 (uint8 images are scaled to 0-1, as toFloat() does) */
  inputs: Tensor;
  /** [B] int64 class indices */
  targets: Tensor;
  /** dataset index of each sample of the batch */
  indices: number[];
}

/**
 * The dataset indices of an epoch, as PyTorch's samplers: any iterable of integers (an array, a
 * WeightedRandomSampler, a generator object...). The DataLoader calls `setEpoch(epoch)`, when there is
 * one, before iterating it for each epoch; `length` (arrays and typed arrays have one) gives the
 * loader's `length`.
 */
export interface Sampler extends Iterable<number> {
  setEpoch?(epoch: number): void;
  readonly length?: number;
}

export interface DataLoaderOptions<T = LabeledImage, B = Batch> {
  /** samples per batch (default 1) */
  batchSize?: number;
  /** a new seeded permutation every epoch (default false: dataset order) */
  shuffle?: boolean;
  /** the indices of each epoch, in order (instead of shuffle); see Sampler */
  sampler?: Sampler;
  /** seeds the shuffling and every sample's augmentations (default 0) */
  seed?: number;
  /** drop the last, smaller batch (default false) */
  dropLast?: boolean;
  /** transforms applied to each sample's `image` (samples must then have one) */
  transform?: Compose | readonly TransformSpec[];
  /** worker threads that run the transforms (default 0: on the main thread) */
  numWorkers?: number;
  /** batches prepared ahead of the one in use (default 2) */
  prefetch?: number;
  /** device of the batch tensors (default cpu); default collate only */
  device?: DeviceLike;
  /** pin the batch in page-locked memory before a non-blocking copy to `device` (needs CUDA); default collate only */
  pinMemory?: boolean;
  /** makes a batch of (transformed) samples; the default stacks { image, label } samples into a Batch */
  collate?: (samples: T[], indices: number[]) => B;
}

const OPTION_KEYS = ['batchSize', 'shuffle', 'sampler', 'seed', 'dropLast', 'transform', 'numWorkers', 'prefetch', 'device', 'pinMemory', 'collate'];

function checkKeys(what: string, opts: object, keys: string[]): void {
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new DataError(`${what}: unknown option '${k}'; the options are ${keys.join(', ')}`);
  }
}
function checkInt(what: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new DataError(`${what}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}
function checkBool(what: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new DataError(`${what}: ${name} must be true or false, got ${String(v)}`);
  return v;
}
function checkSeed(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new DataError(`${what}: seed must be a (safe) integer, got ${String(v)}`);
  return v;
}
function checkDevice(what: string, device: DeviceLike | undefined, pinMemory: boolean): void {
  if (device !== undefined && (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device))) throw new DataError(`${what}: device must be 'cpu', 'cuda' or 'cuda:N', got ${String(device)}`);
  const cuda = device !== undefined && device.startsWith('cuda');
  if ((cuda || pinMemory) && !torch.cuda.isAvailable()) throw new DataError(`${what}: ${cuda ? `device '${device}'` : 'pinMemory'} needs CUDA, which is not available on this machine`);
}

/** The batches of one epoch: dataset indices in (shuffled) order, cut into batches. */
export function batchIndices(length: number, opts: { batchSize: number; shuffle: boolean; seed: number; dropLast: boolean; epoch: number }): number[][] {
  const order = opts.shuffle ? permutation(length, new Rng(opts.seed, opts.epoch)) : Int32Array.from({ length }, (_, i) => i);
  return cutBatches(order, opts.batchSize, opts.dropLast);
}

function cutBatches(order: ArrayLike<number>, batchSize: number, dropLast: boolean): number[][] {
  const out: number[][] = [];
  const length = order.length;
  for (let s = 0; s < length; s += batchSize) {
    if (s + batchSize > length && dropLast) break;
    out.push(Array.from({ length: Math.min(length, s + batchSize) - s }, (_, k) => order[s + k]!));
  }
  return out;
}

function checkSampler(what: string, sampler: unknown): Sampler {
  const s = sampler as Sampler | null;
  if (s === null || typeof s !== 'object' || typeof s[Symbol.iterator] !== 'function') throw new DataError(`${what}: sampler must be an iterable of dataset indices (an array, a WeightedRandomSampler, ...), got ${String(sampler)}`);
  if (s.setEpoch !== undefined && typeof s.setEpoch !== 'function') throw new DataError(`${what}: sampler.setEpoch must be a function (epoch) => void`);
  return s;
}

/** The length of a sampler: its `length` when that is an integer >= 0, else undefined. */
function samplerLength(sampler: Sampler): number | undefined {
  const n = sampler.length;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function isImage(v: unknown): v is Image {
  if (v === null || typeof v !== 'object') return false;
  const i = v as Image;
  return (i.data instanceof Uint8Array || i.data instanceof Float32Array) && typeof i.channels === 'number' && typeof i.height === 'number' && typeof i.width === 'number';
}
function imageOf(sample: unknown, index: number): Image {
  const img = sample !== null && typeof sample === 'object' ? (sample as { image?: unknown }).image : undefined;
  if (!isImage(img)) throw new DataError(`dataset.get(${index}) returned a sample without an image ({ image: { data, channels, height, width } }); transforms and the default collate need one, pass collate for other sample types`);
  return img;
}

/** The default collate's CPU part: [B, C, H, W] float32 values and int64 labels. */
function stackImages(samples: unknown[], indices: number[]): { x: Float32Array; shape: number[]; y: BigInt64Array } {
  const first = imageOf(samples[0], indices[0]!);
  const { channels: C, height: H, width: W } = first;
  const n = C * H * W;
  const x = new Float32Array(samples.length * n);
  const y = new BigInt64Array(samples.length);
  samples.forEach((s, k) => {
    const img = imageOf(s, indices[k]!);
    if (img.channels !== C || img.height !== H || img.width !== W) {
      throw new DataError(`cannot batch images of different shapes: sample ${indices[0]} is ${C}x${H}x${W}, sample ${indices[k]} is ${img.channels}x${img.height}x${img.width}; add resize() or centerCrop() to the transform`);
    }
    if (img.data.length !== n) throw new DataError(`sample ${indices[k]}: image data has ${img.data.length} values, ${C}x${H}x${W} needs ${n}`);
    if (img.data instanceof Uint8Array) for (let i = 0; i < n; i++) x[k * n + i] = img.data[i]! / 255;
    else x.set(img.data, k * n);
    const label = (s as { label?: unknown }).label;
    if (typeof label !== 'number' || !Number.isInteger(label)) throw new DataError(`sample ${indices[k]}: label must be an integer class index, got ${String(label)}; pass collate for other targets`);
    y[k] = BigInt(label);
  });
  return { x, shape: [samples.length, C, H, W], y };
}

// ---------------------------------------------------------------- worker pool

/** The data set's workerSource(), checked, or undefined when it has none. */
function workerSourceOf(dataset: unknown): WorkerSource | undefined {
  const d = dataset as { workerSource?: unknown; length: number };
  if (typeof d.workerSource !== 'function') return undefined;
  const src = (d.workerSource as () => WorkerSource | undefined).call(dataset);
  if (src === undefined) return undefined;
  if (src.kind !== 'image-files' || !Array.isArray(src.paths) || !(src.labels instanceof Int32Array) || src.paths.length !== d.length || src.labels.length !== d.length) {
    throw new DataError(`DataLoader: dataset.workerSource() must return { kind: 'image-files', paths: string[], labels: Int32Array } with one entry per sample (${d.length})`);
  }
  return src;
}

interface Pending {
  resolve: (images: (Image | null)[]) => void;
  reject: (e: Error) => void;
  worker: number;
  /** the samples' seed keys (sent to the worker) and their dataset indices (for messages) */
  keys: number[];
  indices: number[];
}

class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(n: number, source?: WorkerSource) {
    for (let i = 0; i < n; i++) {
      // the main script's flags minus those that only make sense for it (node -e / --input-type)
      const execArgv = process.execArgv.filter((a) => !/^(--input-type|--eval|-e$|--print|-p$)/.test(a));
      const w = new Worker(new URL('./loader-worker.js', import.meta.url), { execArgv });
      w.unref(); // idle workers never keep the process alive
      if (source !== undefined) w.postMessage({ init: source } satisfies WorkerInit); // first message: tasks then only carry indices
      w.on('message', (r: WorkerReply) => this.reply(r));
      w.on('error', (e: Error) => this.failWorker(i, new DataError(`DataLoader worker ${i} failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closed) this.failWorker(i, new DataError(`DataLoader worker ${i} exited (code ${code})`));
      });
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Transforms `images` (owned: their buffers are transferred) in the least busy worker; sample k
   * draws from sampleRng(seed, epoch, keys[k]) and is dataset index indices[k].
   */
  run(specs: TransformSpec[], seed: number, epoch: number, keys: number[], indices: number[], images: Image[]): Promise<Image[]> {
    return this.send({ specs, seed, epoch, indices: keys, images }, indices, images.map((img) => img.data.buffer as ArrayBuffer)) as Promise<Image[]>;
  }

  /**
   * Loads the samples at dataset `indices` from the pool's worker source and transforms them as run()
   * does; an entry is null where the worker could not decode the file (the caller loads it).
   */
  load(specs: TransformSpec[], seed: number, epoch: number, keys: number[], indices: number[]): Promise<(Image | null)[]> {
    return this.send({ specs, seed, epoch, indices: keys, load: indices }, indices, []);
  }

  private send(task: Omit<WorkerTask, 'id'>, indices: number[], transfer: ArrayBuffer[]): Promise<(Image | null)[]> {
    if (this.closed) return Promise.reject(new DataError('DataLoader is closed'));
    let w = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i]! < this.busy[w]!) w = i;
    const id = this.nextId++;
    const keys = task.indices;
    return new Promise<(Image | null)[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w, keys, indices });
      if (this.busy[w]!++ === 0) this.workers[w]!.ref();
      this.workers[w]!.postMessage({ ...task, id } satisfies WorkerTask, transfer);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (--this.busy[p.worker]! === 0) this.workers[p.worker]!.unref();
    return p;
  }

  private reply(r: WorkerReply): void {
    const p = this.settle(r.id);
    if (p === undefined) return;
    if ('error' in r) {
      const k = p.keys.indexOf(r.index);
      p.reject(new DataError(`transform of sample ${k >= 0 ? p.indices[k] : r.index} failed in a worker: ${r.error}`));
    } else p.resolve(r.images);
  }

  private failWorker(worker: number, e: Error): void {
    for (const [id, p] of [...this.pending]) {
      if (p.worker === worker) this.settle(id)?.reject(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new DataError('DataLoader was closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------- DataLoader

/**
 * Batches of a data set, as torch.utils.data.DataLoader:
 *
 *   const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, transform, numWorkers: 4 });
 *   for (let epoch = 0; epoch < 10; epoch++) {
 *     loader.setEpoch(epoch);                    // optional: each iteration otherwise starts the next epoch
 *     for await (const { inputs, targets } of loader) {
 *       torch.tidy(() => step(inputs, targets)); // the batch tensors are yours:
 *       inputs.dispose(); targets.dispose();     // dispose them: a scope inside the body does not see them
 *     }
 *   }
 *   await loader.close();                        // ends the workers (break ends them too)
 */
export class DataLoader<T = LabeledImage, B = Batch> implements AsyncIterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly sampler: Sampler | undefined;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly transform: Compose | undefined;
  readonly numWorkers: number;
  readonly prefetch: number;
  readonly device: DeviceLike | undefined;
  readonly pinMemory: boolean;
  private readonly collateFn: ((samples: T[], indices: number[]) => B) | undefined;
  private pool: WorkerPool | undefined;
  /** the dataset's workerSource(), read when a pool starts */
  private source: WorkerSource | undefined;
  private nextEpoch = 0;
  private nextStart = 0;
  private current = -1;
  private closed = false;

  constructor(dataset: Dataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    const what = 'DataLoader';
    if (dataset === null || typeof dataset !== 'object' || typeof (dataset as Dataset<T>).get !== 'function' || !Number.isInteger((dataset as Dataset<T>).length) || dataset.length < 0) {
      throw new DataError(`${what}: expected a dataset with an integer length and get(index), got ${String(dataset)}`);
    }
    if (opts === null || typeof opts !== 'object') throw new DataError(`${what}: options must be an object`);
    checkKeys(what, opts, OPTION_KEYS);
    this.dataset = dataset;
    this.batchSize = checkInt(what, 'batchSize', opts.batchSize ?? 1, 1);
    this.shuffle = checkBool(what, 'shuffle', opts.shuffle ?? false);
    this.sampler = opts.sampler === undefined ? undefined : checkSampler(what, opts.sampler);
    if (this.sampler !== undefined && this.shuffle) throw new DataError(`${what}: sampler and shuffle: true cannot be used together, use one: the sampler decides the order (shuffle inside it if needed)`);
    this.seed = checkSeed(what, opts.seed ?? 0);
    this.dropLast = checkBool(what, 'dropLast', opts.dropLast ?? false);
    this.numWorkers = checkInt(what, 'numWorkers', opts.numWorkers ?? 0, 0);
    this.prefetch = checkInt(what, 'prefetch', opts.prefetch ?? 2, 0);
    this.pinMemory = checkBool(what, 'pinMemory', opts.pinMemory ?? false);
    this.device = opts.device;
    if (opts.collate !== undefined && typeof opts.collate !== 'function') throw new DataError(`${what}: collate must be a function (samples, indices) => batch`);
    this.collateFn = opts.collate;
    if (this.collateFn === undefined) checkDevice(what, this.device, this.pinMemory);
    else if (this.device !== undefined || this.pinMemory) throw new DataError(`${what}: device and pinMemory apply to the default collate; with a custom collate, move the batch yourself`);
    const t = opts.transform;
    if (t === undefined) this.transform = undefined;
    else if (t instanceof Compose) this.transform = t;
    else if (Array.isArray(t)) this.transform = new Compose(t);
    else throw new DataError(`${what}: transform must be compose([...]) or an array of transforms`);
  }

  /** Batches per epoch (with a sampler: from the sampler's length; a sampler without one raises). */
  get length(): number {
    let n = this.dataset.length;
    if (this.sampler !== undefined) {
      const m = samplerLength(this.sampler);
      if (m === undefined) throw new DataError('DataLoader.length: the sampler has no length (an integer `length` property), so the number of batches is only known by iterating');
      n = m;
    }
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch of the iteration in progress (or last started); -1 before the first. */
  get epoch(): number {
    return this.current;
  }

  /**
   * Sets the epoch the next iteration runs (its shuffle order and augmentations); iterations otherwise
   * count up from 0. `startBatch` skips that many batches of the epoch without loading them (a run that
   * resumes mid-epoch gets exactly the batches it had not seen).
   */
  setEpoch(epoch: number, startBatch = 0): void {
    this.nextEpoch = checkInt('DataLoader.setEpoch()', 'epoch', epoch, 0);
    this.nextStart = checkInt('DataLoader.setEpoch()', 'startBatch', startBatch, 0);
  }

  /** Ends the worker threads; the loader can still be iterated (a new pool starts). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.closed = true;
    await this.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    if (this.closed) throw new DataError('DataLoader was disposed');
    const epoch = this.nextEpoch++;
    const start = this.nextStart;
    this.nextStart = 0;
    this.current = epoch;
    const all = this.epochBatches(epoch);
    const batches = all.batches.slice(start);
    const keys = all.keys?.slice(start);
    const specs = this.transform?.active ?? [];
    if (this.numWorkers > 0 && this.pool === undefined) {
      this.source = workerSourceOf(this.dataset);
      if (specs.length > 0 || this.source !== undefined) this.pool = new WorkerPool(this.numWorkers, this.source);
    }
    const pending: Promise<T[]>[] = [];
    let next = 0;
    const fill = () => {
      while (pending.length < Math.max(1, this.prefetch) && next < batches.length) {
        const p = this.prepare(batches[next]!, keys?.[next] ?? batches[next]!, epoch, specs);
        next++;
        p.catch(() => {}); // awaited in order below; this only silences batches abandoned by a break
        pending.push(p);
      }
    };
    let finished = false;
    try {
      fill();
      for (let b = 0; b < batches.length; b++) {
        const samples = await pending.shift()!;
        fill();
        yield this.collate(samples, batches[b]!);
      }
      finished = true;
    } finally {
      // an early end (break, return, error) abandons the prefetched batches: end the workers with them
      if (!finished) await this.close();
    }
  }

  /**
   * The batches of one epoch, and with a sampler the samples' seed keys: their positions in the
   * epoch (a sampler may repeat an index; each occurrence gets its own augmentations).
   */
  private epochBatches(epoch: number): { batches: number[][]; keys: number[][] | undefined } {
    const n = this.dataset.length;
    if (this.sampler === undefined) {
      return { batches: batchIndices(n, { batchSize: this.batchSize, shuffle: this.shuffle, seed: this.seed, dropLast: this.dropLast, epoch }), keys: undefined };
    }
    this.sampler.setEpoch?.(epoch);
    const order: number[] = [];
    for (const i of this.sampler) {
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) throw new DataError(`DataLoader: the sampler gave index ${String(i)} (position ${order.length} of epoch ${epoch}), out of range for a dataset of length ${n}`);
      order.push(i);
    }
    return { batches: cutBatches(order, this.batchSize, this.dropLast), keys: cutBatches(order.map((_, p) => p), this.batchSize, this.dropLast) };
  }

  /** Loads (possibly asynchronously) and transforms the samples of one batch; keys[k] seeds sample k's augmentations. */
  private async prepare(indices: number[], keys: number[], epoch: number, specs: TransformSpec[]): Promise<T[]> {
    if (this.pool !== undefined && this.source !== undefined) return this.prepareInWorkers(this.pool, this.source, indices, keys, epoch, specs);
    const samples = await Promise.all(indices.map(async (i) => {
      try {
        return await this.dataset.get(i);
      } catch (e) {
        throw new DataError(`dataset.get(${i}) failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }));
    if (specs.length === 0) return samples;
    const images = samples.map((s, k) => imageOf(s, indices[k]!));
    let out: Image[];
    const pool = this.pool;
    if (pool === undefined) {
      out = images.map((img, k) => {
        try {
          return applyTransforms(specs, img, sampleRng(this.seed, epoch, keys[k]!));
        } catch (e) {
          throw new DataError(`transform of sample ${indices[k]} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    } else {
      // chunks spread over the workers; copies, because the transferred buffers become unusable here
      const per = Math.ceil(images.length / pool.size);
      const jobs: Promise<Image[]>[] = [];
      for (let s = 0; s < images.length; s += per) {
        const chunk = images.slice(s, s + per).map((img) => ({ data: img.data.slice(), channels: img.channels, height: img.height, width: img.width }));
        jobs.push(pool.run(specs, this.seed, epoch, keys.slice(s, s + per), indices.slice(s, s + per), chunk));
      }
      // wait for every chunk, so that a failure names the first bad sample of the batch whatever the timing
      const settled = await Promise.allSettled(jobs);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      out = settled.flatMap((r) => (r as PromiseFulfilledResult<Image[]>).value);
    }
    return samples.map((s, k) => ({ ...(s as object), image: out[k]! }) as T);
  }

  /**
   * prepare() for a data set with a worker source: the workers read, decode and transform the samples;
   * those they hand back (files only sharp decodes exactly) are loaded with dataset.get here and
   * transformed in the workers as usual. Same samples, bit for bit, as the main-thread path.
   */
  private async prepareInWorkers(pool: WorkerPool, source: WorkerSource, indices: number[], keys: number[], epoch: number, specs: TransformSpec[]): Promise<T[]> {
    const per = Math.ceil(indices.length / pool.size);
    const jobs: Promise<(Image | null)[]>[] = [];
    for (let s = 0; s < indices.length; s += per) jobs.push(pool.load(specs, this.seed, epoch, keys.slice(s, s + per), indices.slice(s, s + per)));
    // wait for every chunk, so that a failure names the first bad sample of the batch whatever the timing
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const out = settled.flatMap((r) => (r as PromiseFulfilledResult<(Image | null)[]>).value);
    const missing = out.flatMap((img, k) => (img === null ? [k] : []));
    if (missing.length > 0) {
      const samples = await Promise.all(missing.map(async (k) => {
        const i = indices[k]!;
        try {
          return await this.dataset.get(i);
        } catch (e) {
          throw new DataError(`dataset.get(${i}) failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }));
      let images = samples.map((s, m) => imageOf(s, indices[missing[m]!]!));
      if (specs.length > 0) {
        const chunk = images.map((img) => ({ data: img.data.slice(), channels: img.channels, height: img.height, width: img.width }));
        images = await pool.run(specs, this.seed, epoch, missing.map((k) => keys[k]!), missing.map((k) => indices[k]!), chunk);
      }
      missing.forEach((k, m) => (out[k] = images[m]!));
    }
    return indices.map((i, k) => ({ image: out[k]!, label: source.labels[i]! }) as T);
  }

  /** Makes the batch tensors, synchronously, on the main thread, in the scope that is open now. */
  private collate(samples: T[], indices: number[]): B {
    if (this.collateFn !== undefined) return this.collateFn(samples, indices);
    const { x, shape, y } = stackImages(samples, indices);
    let inputs = torch.fromTypedArray(x, shape);
    let targets = torch.fromTypedArray(y, [y.length]);
    if (this.pinMemory) {
      const [pi, pt] = [inputs.pinMemory(), targets.pinMemory()];
      inputs.dispose();
      targets.dispose();
      [inputs, targets] = [pi, pt];
    }
    if (this.device !== undefined) {
      const move = (t: Tensor) => {
        const d = t.to(this.device!, { nonBlocking: this.pinMemory });
        if (d !== t) t.dispose(); // a pinned source stays valid until the copy ends (libtorch's host allocator records it)
        return d;
      };
      inputs = move(inputs);
      targets = move(targets);
    }
    return { inputs, targets, indices } as B;
  }

  /**
   * A loader over tensors that live on the device: images [N, C, H, W] and labels [N] (small data
   * sets). See TensorDataLoader.
   */
  static fromTensors(images: Tensor, labels: Tensor, opts: TensorDataLoaderOptions = {}): TensorDataLoader {
    return new TensorDataLoader(images, labels, opts);
  }
}

// ---------------------------------------------------------------- device-resident data

export interface TensorAugment {
  /** probability of a horizontal flip per sample */
  horizontalFlip?: number;
  /** probability of a vertical flip per sample */
  verticalFlip?: number;
  /** standard deviation of additive Gaussian noise (drawn from torch's global generator: torch.manualSeed) */
  noise?: number;
}

export interface TensorDataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** where the data set is kept and batches are made (default: where the images are) */
  device?: DeviceLike;
  /** augmentations done with tensor ops, only while training (see train()/eval()) */
  augment?: TensorAugment;
}

/**
 * Batches of a data set that is kept whole on the device, made with index_select: no copies from the
 * host per batch. Augmentation is limited to per-sample flips (seeded per sample as the DataLoader's
 * transforms) and Gaussian noise (torch's generator). uint8 images are scaled to float32 0-1 per batch.
 * The loader does not copy tensors already on `device`: keep the ones you pass alive while it is used.
 * Batch tensors belong to the caller, as with DataLoader; close() frees the copies the loader made.
 */
export class TensorDataLoader implements AsyncIterable<Batch>, Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly augment: TensorAugment;
  /** augmentations apply only while training */
  training = true;
  private images: Tensor;
  private labels: Tensor;
  private readonly owned: Tensor[] = [];
  private nextEpoch = 0;
  private nextStart = 0;
  private current = -1;

  constructor(images: Tensor, labels: Tensor, opts: TensorDataLoaderOptions = {}) {
    const what = 'DataLoader.fromTensors';
    if (!(images instanceof torch.Tensor) || !(labels instanceof torch.Tensor)) throw new DataError(`${what}: images and labels must be tensors`);
    checkKeys(what, opts, ['batchSize', 'shuffle', 'seed', 'dropLast', 'device', 'augment']);
    if (images.ndim !== 4) throw new DataError(`${what}: images must be [N, C, H, W], got [${images.shape.join(', ')}]`);
    if (labels.ndim !== 1 || labels.shape[0] !== images.shape[0]) throw new DataError(`${what}: labels must be [N] with N = ${images.shape[0]}, got [${labels.shape.join(', ')}]`);
    if (labels.isFloatingPoint()) throw new DataError(`${what}: labels must be integer class indices, got ${labels.dtype}`);
    this.batchSize = checkInt(what, 'batchSize', opts.batchSize ?? 1, 1);
    this.shuffle = checkBool(what, 'shuffle', opts.shuffle ?? false);
    this.seed = checkSeed(what, opts.seed ?? 0);
    this.dropLast = checkBool(what, 'dropLast', opts.dropLast ?? false);
    const augment = opts.augment ?? {};
    checkKeys(`${what}: augment`, augment, ['horizontalFlip', 'verticalFlip', 'noise']);
    for (const k of ['horizontalFlip', 'verticalFlip'] as const) {
      const p = augment[k];
      if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) throw new DataError(`${what}: augment.${k} must be a probability in [0, 1], got ${String(p)}`);
    }
    if (augment.noise !== undefined && !(typeof augment.noise === 'number' && augment.noise >= 0 && Number.isFinite(augment.noise))) throw new DataError(`${what}: augment.noise must be a standard deviation >= 0, got ${String(augment.noise)}`);
    this.augment = { ...augment };
    checkDevice(what, opts.device, false);
    const place = (t: Tensor, dtype?: 'int64') => {
      const d = opts.device === undefined ? t : t.to(opts.device);
      const c = dtype !== undefined && d.dtype !== dtype ? d.to(dtype) : d;
      if (c !== d && d !== t) d.dispose();
      if (c !== t) this.owned.push(c.keep());
      return c;
    };
    this.images = place(images);
    this.labels = place(labels, 'int64');
  }

  get length(): number {
    const n = this.images.shape[0]!;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  get epoch(): number {
    return this.current;
  }
  /** As DataLoader.setEpoch: the epoch of the next iteration, and how many of its batches to skip. */
  setEpoch(epoch: number, startBatch = 0): void {
    this.nextEpoch = checkInt('DataLoader.setEpoch()', 'epoch', epoch, 0);
    this.nextStart = checkInt('DataLoader.setEpoch()', 'startBatch', startBatch, 0);
  }
  train(training = true): this {
    this.training = training;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  *[Symbol.iterator](): Generator<Batch, void, undefined> {
    if (this.images.isDisposed) throw new DataError('DataLoader.fromTensors: the loader was closed or its tensors were disposed');
    const epoch = this.nextEpoch++;
    const start = this.nextStart;
    this.nextStart = 0;
    this.current = epoch;
    const batches = batchIndices(this.images.shape[0]!, { batchSize: this.batchSize, shuffle: this.shuffle, seed: this.seed, dropLast: this.dropLast, epoch });
    for (const indices of batches.slice(start)) yield this.batch(indices, epoch);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    yield* this[Symbol.iterator]();
  }

  private batch(indices: number[], epoch: number): Batch {
    const { horizontalFlip: ph = 0, verticalFlip: pv = 0, noise = 0 } = this.training ? this.augment : {};
    const B = indices.length;
    const device = this.images.device;
    return torch.tidy(() => {
      const idx = torch.fromTypedArray(BigInt64Array.from(indices, (i) => BigInt(i)), [B]).to(device);
      let x = this.images.index_select(0, idx);
      if (!x.isFloatingPoint()) x = x.to('float32').div(255);
      if (ph > 0 || pv > 0) {
        const h = new Uint8Array(B), v = new Uint8Array(B);
        indices.forEach((i, k) => {
          const rng = sampleRng(this.seed, epoch, i);
          h[k] = rng.bernoulli(ph) ? 1 : 0;
          v[k] = rng.bernoulli(pv) ? 1 : 0;
        });
        const flipWhere = (mask: Uint8Array, dim: number) => {
          const m = torch.fromTypedArray(mask, [B, 1, 1, 1], { dtype: 'bool' }).to(device);
          x = torch.where(m, x.flip([dim]), x);
        };
        if (h.some((b) => b === 1)) flipWhere(h, 3);
        if (v.some((b) => b === 1)) flipWhere(v, 2);
      }
      if (noise > 0) x = x.add(torch.randn_like(x).mul(noise));
      return { inputs: x, targets: this.labels.index_select(0, idx), indices };
    });
  }

  /** Frees the copies of the data set the loader made (moved or converted tensors). */
  async close(): Promise<void> {
    for (const t of this.owned.splice(0)) t.dispose();
  }
}
