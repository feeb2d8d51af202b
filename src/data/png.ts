// The pure-JS fast path for small 8-bit PNGs (our own decoder for plain files, pngjs for the rest),
// shared by ImageFolder (main thread) and the DataLoader's workers. It must not import sharp or
// src/torch: loader-worker.ts imports it.

import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { inflateZlibExact } from './inflate.js';
import type { Image } from './types.js';

// Small 8-bit PNGs (Fashion-MNIST-like folders) decode ~20x faster with pngjs on the JS thread than
// through a libvips pipeline, whose fixed cost per image (0.3-0.6 ms measured) dominated an epoch.
// Only cases whose pixels are identical either way take this path: 8-bit, no colour conversion
// asked for (or one the file already has); everything else goes to sharp.
const SMALL_PNG_PIXELS = 256 * 256;

/**
 * Decodes the bytes of a small 8-bit PNG to channel-first uint8 (alpha removed), or returns null
 * when this path cannot give sharp's exact pixels (not a PNG, 16-bit, large, a colour conversion
 * needed, or a file pngjs rejects, e.g. truncated): the caller then decodes with sharp.
 */
export function decodeSmallPngBuffer(buf: Buffer, mode?: 'rgb' | 'gray'): Image | null {
  // IHDR: width @16, height @20, bit depth @24, colour type @25 (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA).
  if (buf.length < 33 || buf.readUInt32BE(12) !== 0x49484452) return null;
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const depth = buf[24]!;
  const colourType = buf[25]!;
  if (depth !== 8 || width * height > SMALL_PNG_PIXELS || width === 0 || height === 0) return null;
  const grey = colourType === 0 || colourType === 4;
  if ((mode === 'gray' && !grey) || (mode === 'rgb' && grey)) return null;
  const plain = decodePlainPng(buf, width, height, colourType);
  if (plain !== null) return plain;
  let png: PNG;
  try {
    png = PNG.sync.read(buf);
  } catch {
    return null; // let sharp decode it, or report why it cannot
  }
  const channels = grey ? 1 : 3;
  const plane = width * height;
  const out = new Uint8Array(plane * channels);
  const rgba = png.data;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out[c * plane + p] = rgba[p * 4 + c]!;
  }
  return { data: out, channels, height, width };
}

// zlib.crc32 exists from Node 20.15 / 22.2; before, a table in JS
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let crcTable: Int32Array | undefined;

/** CRC-32 (ISO-HDLC, as PNG chunks use) of `data`, unsigned. */
export function crc32(data: Uint8Array): number {
  return nativeCrc32 !== undefined ? nativeCrc32(data) : crc32Js(data);
}

/** crc32 in JS (Node before 20.15). */
export function crc32Js(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const TYPE_IHDR = 0x49484452, TYPE_IDAT = 0x49444154, TYPE_IEND = 0x49454e44, TYPE_PLTE = 0x504c5445, TYPE_TRNS = 0x74524e53;
/** bytes per pixel of 8-bit colour types 0 (grey), 2 (RGB), 4 (grey + alpha), 6 (RGBA) */
const BPP: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * pngjs's pixels, faster, for the plainest files: 8-bit grey, grey+alpha, RGB or RGBA, not interlaced,
 * no tRNS, every chunk's CRC right, one zlib stream (Adler-32 checked) inflating to exactly the
 * scanlines, known filter types, an IEND. Returns null for anything else (palettes, a PLTE in a grey
 * image, unknown critical chunks, any damage), and decodeSmallPngBuffer then asks pngjs as before, so
 * results never differ from the pngjs path. Saves zlib's per-call cost and pngjs's RGBA expansion.
 */
export function decodePlainPng(buf: Buffer, width: number, height: number, colourType: number): Image | null {
  const bpp = BPP[colourType];
  if (bpp === undefined) return null;
  // signature, then IHDR (length 13): compression, filter, interlace methods all 0
  if (buf.length < 45 || buf.readUInt32BE(0) !== 0x89504e47 || buf.readUInt32BE(4) !== 0x0d0a1a0a || buf.readUInt32BE(8) !== 13 || buf.readUInt32BE(12) !== TYPE_IHDR) return null;
  if (buf[26] !== 0 || buf[27] !== 0 || buf[28] !== 0) return null;
  let idatStart = -1, idatEnd = -1;
  let parts: Buffer[] | undefined;
  let ended = false;
  for (let o = 8; o + 12 <= buf.length;) {
    const len = buf.readUInt32BE(o);
    const type = buf.readUInt32BE(o + 4);
    const end = o + 8 + len;
    if (len > 0x7fffffff || end + 4 > buf.length) return null;
    if (crc32(buf.subarray(o + 4, end)) !== buf.readUInt32BE(end)) return null;
    if (type === TYPE_IDAT) {
      if (idatStart < 0) [idatStart, idatEnd] = [o + 8, end];
      else (parts ??= [buf.subarray(idatStart, idatEnd)]).push(buf.subarray(o + 8, end));
    } else if (type === TYPE_IEND) {
      ended = true;
      break;
    } else if (type === TYPE_IHDR) {
      if (o !== 8) return null;
    } else if (type === TYPE_TRNS || (type === TYPE_PLTE && (colourType & 2) === 0)) return null;
    else if ((buf[o + 4]! & 0x20) === 0 && type !== TYPE_PLTE) return null; // unknown critical chunk
    o = end + 4;
  }
  if (!ended || idatStart < 0) return null;
  const stride = width * bpp;
  let raw: Uint8Array;
  try {
    if (parts === undefined) raw = inflateZlibExact(buf, idatStart, idatEnd, height * (stride + 1));
    else {
      const all = Buffer.concat(parts);
      raw = inflateZlibExact(all, 0, all.length, height * (stride + 1));
    }
  } catch {
    return null;
  }
  // undo the filters in place (row r starts at r * (stride + 1) + 1; its filter type is the byte before)
  for (let r = 0; r < height; r++) {
    const row = r * (stride + 1) + 1, prev = row - (stride + 1);
    const filter = raw[row - 1]!;
    if (filter === 0) continue;
    if (filter === 1) {
      for (let i = bpp; i < stride; i++) raw[row + i] = (raw[row + i]! + raw[row + i - bpp]!) & 255;
    } else if (filter === 2) {
      if (r > 0) for (let i = 0; i < stride; i++) raw[row + i] = (raw[row + i]! + raw[prev + i]!) & 255;
    } else if (filter === 3) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[row + i - bpp]! : 0, b = r > 0 ? raw[prev + i]! : 0;
        raw[row + i] = (raw[row + i]! + ((a + b) >> 1)) & 255;
      }
    } else if (filter === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[row + i - bpp]! : 0, b = r > 0 ? raw[prev + i]! : 0, c = i >= bpp && r > 0 ? raw[prev + i - bpp]! : 0;
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        raw[row + i] = (raw[row + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
    } else return null;
  }
  const channels = colourType & 2 ? 3 : 1;
  const plane = width * height;
  const out = new Uint8Array(plane * channels);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    if (bpp === 1) out.set(raw.subarray(row, row + width), y * width);
    else {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) out[c * plane + y * width + x] = raw[row + x * bpp + c]!;
      }
    }
  }
  return { data: out, channels, height, width };
}

/** Whether a path has the .png extension (decodeImage tries the fast path only for those). */
export function isPngPath(path: string): boolean {
  return /\.png$/i.test(path);
}
