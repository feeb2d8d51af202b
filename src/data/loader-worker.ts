// A DataLoader worker: applies transform descriptions to images (typed arrays) and sends them back.
// With a worker source (a data set described by plain data, e.g. ImageFolder's file list), it also
// reads and decodes the samples itself; what it cannot decode exactly as the main thread would, it
// hands back as "fallback" (null) and the main thread loads it with dataset.get(i).
// It must never import src/torch: libtorch's addon keeps process-global state and is main-thread only.

import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { applyTransforms, type TransformSpec } from './transforms.js';
import { sampleRng } from './random.js';
import { decodeSmallPngBuffer, isPngPath } from './png.js';
import type { Image } from './types.js';

/**
 * A data set as plain, structured-clonable data, so that a worker can load samples itself
 * (Dataset.workerSource()). 'image-files': sample i is { image: decode(paths[i]), label: labels[i] }.
 */
export interface WorkerSource {
  kind: 'image-files';
  /** absolute paths, by dataset index */
  paths: string[];
  labels: Int32Array;
  mode?: 'rgb' | 'gray' | undefined;
}

/** Sent once, first, to each worker of a pool whose data set has a worker source. */
export interface WorkerInit {
  init: WorkerSource;
}

/**
 * A chunk of one batch: transform `images` (or, with `load`, the samples at those dataset indices,
 * loaded from the worker source) with the samples' own seeds (`indices`: the seed keys).
 */
export interface WorkerTask {
  id: number;
  specs: TransformSpec[];
  seed: number;
  epoch: number;
  indices: number[];
  images?: Image[];
  load?: number[];
}

/** images[k] is null when sample k must be loaded on the main thread (fallback). */
export type WorkerReply = { id: number; images: (Image | null)[] } | { id: number; error: string; index: number };

/** The sample's image decoded here, or null when only the main thread's dataset.get can give it (exactly). */
function loadImage(source: WorkerSource, index: number): Image | null {
  const path = source.paths[index];
  if (path === undefined || !isPngPath(path)) return null;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null; // dataset.get reports it, naming the file
  }
  return decodeSmallPngBuffer(buf, source.mode);
}

/**
 * The buffers to transfer with a reply. Images of one type are first copied into one buffer (their
 * data become views of it): transferring one buffer instead of hundreds of small ones costs less than
 * the copy.
 */
function packBuffers(images: (Image | null)[]): ArrayBuffer[] {
  let u8 = 0, f32 = 0;
  for (const img of images) {
    if (img === null) continue;
    if (img.data instanceof Float32Array) f32 += img.data.length;
    else u8 += img.data.length;
  }
  if (u8 > 0 && f32 > 0) {
    const buffers = new Set<ArrayBuffer>();
    for (const img of images) if (img !== null) buffers.add(img.data.buffer as ArrayBuffer);
    return [...buffers];
  }
  const all = f32 > 0 ? new Float32Array(f32) : new Uint8Array(u8);
  let at = 0;
  for (const img of images) {
    if (img === null) continue;
    const n = img.data.length;
    all.set(img.data, at);
    img.data = all.subarray(at, at + n);
    at += n;
  }
  return [all.buffer];
}

if (parentPort !== null) {
  const port = parentPort;
  let source: WorkerSource | undefined;
  port.on('message', (msg: WorkerTask | WorkerInit) => {
    if ('init' in msg) {
      source = msg.init;
      return;
    }
    const task = msg;
    const n = task.load?.length ?? task.images?.length ?? 0;
    const out: (Image | null)[] = [];
    for (let k = 0; k < n; k++) {
      const index = task.indices[k]!;
      let img: Image | null;
      if (task.load !== undefined) {
        img = source === undefined ? null : loadImage(source, task.load[k]!);
        if (img === null) {
          out.push(null);
          continue;
        }
      } else img = task.images![k]!;
      try {
        out.push(applyTransforms(task.specs, img, sampleRng(task.seed, task.epoch, index)));
      } catch (e) {
        const reply: WorkerReply = { id: task.id, error: e instanceof Error ? e.message : String(e), index };
        port.postMessage(reply);
        return;
      }
    }
    const reply: WorkerReply = { id: task.id, images: out };
    port.postMessage(reply, packBuffers(out));
  });
}
