// Encoding and decoding of TensorBoard's Event and Summary protos (tensorboard/compat/proto/event.proto,
// summary.proto), limited to the fields Sous writes: scalars (simple_value), images, histograms and
// plugin metadata. Decoding ignores fields it does not know, as protobuf readers do.

import type { Histogram } from './histogram.js';
import { decodeFields, ProtoWriter, read } from './protobuf.js';

export interface ImageData {
  height: number;
  width: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  colorspace: number;
  encoded: Uint8Array;
}

export interface SummaryValue {
  tag: string;
  /** stored as a 32-bit float, so it reads back rounded to float32 */
  simpleValue?: number;
  image?: ImageData;
  histo?: Histogram;
  plugin?: { name: string; content: Uint8Array };
}

export interface TensorBoardEvent {
  /** byte offset of the event's record in the file (0 for events not read from a file) */
  offset: number;
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: SummaryValue[];
}

export function encodeValue(v: SummaryValue): ProtoWriter {
  const w = new ProtoWriter().string(1, v.tag);
  if (v.simpleValue !== undefined) w.float(2, v.simpleValue);
  if (v.image) {
    const img = new ProtoWriter().int(1, v.image.height).int(2, v.image.width).int(3, v.image.colorspace).bytes(4, v.image.encoded);
    w.message(4, img);
  }
  if (v.histo) {
    const h = v.histo;
    w.message(5, new ProtoWriter().double(1, h.min).double(2, h.max).double(3, h.num).double(4, h.sum).double(5, h.sumSquares)
      .packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket));
  }
  if (v.plugin) {
    const pluginData = new ProtoWriter().string(1, v.plugin.name).bytes(2, v.plugin.content);
    w.message(9, new ProtoWriter().message(1, pluginData));
  }
  return w;
}

export function encodeEvent(e: Omit<TensorBoardEvent, 'offset'>): Uint8Array {
  const w = new ProtoWriter().double(1, e.wallTime);
  if (e.step !== 0) w.int(2, e.step); // proto3 leaves defaults out
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.values.length > 0) {
    const summary = new ProtoWriter();
    for (const v of e.values) summary.message(1, encodeValue(v));
    w.message(5, summary);
  }
  return w.finish();
}

export function decodeEvent(buf: Uint8Array, offset = 0): TensorBoardEvent {
  const e: TensorBoardEvent = { offset, wallTime: 0, step: 0, values: [] };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) e.wallTime = read.double(f);
    else if (f.field === 2) e.step = read.int64(f);
    else if (f.field === 3) e.fileVersion = read.string(f);
    else if (f.field === 5) {
      // Summary: repeated Value value = 1
      for (const s of decodeFields(read.bytes(f))) if (s.field === 1) e.values.push(decodeValue(read.bytes(s)));
    }
  }
  return e;
}

function decodeValue(buf: Uint8Array): SummaryValue {
  const v: SummaryValue = { tag: '' };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) v.tag = read.string(f);
    else if (f.field === 2) v.simpleValue = read.float(f);
    else if (f.field === 4) v.image = decodeImage(read.bytes(f));
    else if (f.field === 5) v.histo = decodeHisto(read.bytes(f));
    else if (f.field === 9) {
      for (const m of decodeFields(read.bytes(f))) if (m.field === 1) v.plugin = decodePluginData(read.bytes(m));
    }
  }
  return v;
}

function decodeImage(buf: Uint8Array): ImageData {
  const img: ImageData = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array(0) };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) img.height = read.int64(f);
    else if (f.field === 2) img.width = read.int64(f);
    else if (f.field === 3) img.colorspace = read.int64(f);
    else if (f.field === 4) img.encoded = read.bytes(f);
  }
  return img;
}

function decodeHisto(buf: Uint8Array): Histogram {
  const h: Histogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) h.min = read.double(f);
    else if (f.field === 2) h.max = read.double(f);
    else if (f.field === 3) h.num = read.double(f);
    else if (f.field === 4) h.sum = read.double(f);
    else if (f.field === 5) h.sumSquares = read.double(f);
    else if (f.field === 6) h.bucketLimit.push(...read.doubles(f));
    else if (f.field === 7) h.bucket.push(...read.doubles(f));
  }
  return h;
}

function decodePluginData(buf: Uint8Array): { name: string; content: Uint8Array } {
  const p: { name: string; content: Uint8Array } = { name: '', content: new Uint8Array(0) };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) p.name = read.string(f);
    else if (f.field === 2) p.content = read.bytes(f);
  }
  return p;
}
