// Figures for the doctor's report: image grids as PNG bytes (pngjs), each image min-max scaled (per
// image or over the whole grid) so that any range shows, with optional captions in a tiny 5×7 bitmap
// font (digits, A-Z — lower case is drawn as upper case — and some punctuation).

import { PNG } from 'pngjs';
import { torch, Tensor } from '../torch/index.js';

/** Images as flat float32 values, sample after sample, each C·H·W. */
export interface ImageArray {
  data: Float32Array;
  n: number;
  c: number;
  h: number;
  w: number;
}

export interface GridOptions {
  /** images per row (default: about √N, at most 16) */
  cols?: number;
  /** one caption per image, drawn under it */
  labels?: readonly string[];
  /** 'image' (default): each image min-max scaled to 0-255 on its own; 'global': one min and max for all */
  scale?: 'image' | 'global';
  /** integer pixel zoom (default: images of 32 pixels or less are doubled) */
  zoom?: number;
  /** pixels between cells (default 2) */
  pad?: number;
}

// 5×7 glyphs, one row per number, the 5 low bits left to right.
const FONT: Record<string, number[]> = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e], '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f], '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02], '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e], '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e], '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11], B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e], D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f], F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f], H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e], J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11], N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d], R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e], T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a], X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04], Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  ' ': [0, 0, 0, 0, 0, 0, 0], '-': [0, 0, 0, 0x1f, 0, 0, 0], '.': [0, 0, 0, 0, 0, 0x0c, 0x0c],
  ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08], '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0], ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '_': [0, 0, 0, 0, 0, 0, 0x1f], '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02], ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
  '=': [0, 0, 0x1f, 0, 0x1f, 0, 0], '+': [0, 0x04, 0x04, 0x1f, 0x04, 0x04, 0], '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
  '?': [0x0e, 0x11, 0x01, 0x02, 0x04, 0, 0x04], '!': [0x04, 0x04, 0x04, 0x04, 0x04, 0, 0x04],
  '#': [0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a], "'": [0x04, 0x04, 0x08, 0, 0, 0, 0], '*': [0, 0x04, 0x15, 0x0e, 0x15, 0x04, 0],
};
const BOX = [0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f];
const GLYPH_W = 6; // 5 pixels and a space
const CAPTION_H = 9; // 7 pixels and a line above and below

/** Draws text with the 5×7 font into an RGBA buffer; clipped to maxWidth pixels. */
export function drawText(png: { data: Uint8Array; width: number; height: number }, text: string, x0: number, y0: number, maxWidth: number, rgb: [number, number, number] = [255, 255, 255]): void {
  const chars = Math.max(0, Math.floor((maxWidth + 1) / GLYPH_W));
  const s = text.length > chars ? text.slice(0, Math.max(0, chars - 1)) + (chars > 0 ? '.' : '') : text;
  for (let k = 0; k < s.length; k++) {
    const ch = s[k]!;
    const glyph = FONT[ch] ?? FONT[ch.toUpperCase()] ?? BOX;
    for (let row = 0; row < 7; row++) {
      const bits = glyph[row]!;
      for (let col = 0; col < 5; col++) {
        if ((bits >> (4 - col)) & 1) {
          const x = x0 + k * GLYPH_W + col;
          const y = y0 + row;
          if (x < 0 || y < 0 || x >= png.width || y >= png.height) continue;
          const o = (y * png.width + x) * 4;
          png.data[o] = rgb[0];
          png.data[o + 1] = rgb[1];
          png.data[o + 2] = rgb[2];
          png.data[o + 3] = 255;
        }
      }
    }
  }
}

/** A tensor of images [N, C, H, W] or [N, H, W] as an ImageArray (copied to the CPU as float32). */
export function imageArray(images: Tensor): ImageArray {
  const shape = images.shape;
  if (shape.length < 3 || shape.length > 4) throw new Error(`gridPng(): expected images [N, C, H, W] or [N, H, W], got [${shape.join(', ')}]`);
  const data = torch.tidy(() => images.detach().to('cpu').to('float32').contiguous().toArray() as Float32Array);
  const n = shape[0]!;
  return shape.length === 4 ? { data, n, c: shape[1]!, h: shape[2]!, w: shape[3]! } : { data, n, c: 1, h: shape[1]!, w: shape[2]! };
}

/**
 * A PNG grid of images: any range, min-max scaled per image (default) or over all of them; one
 * channel is drawn grey, three as RGB, other counts by their first channel; NaN and Inf pixels are
 * magenta. `indices` picks which samples of `images` to draw (default: all).
 */
export function gridPng(images: Tensor | ImageArray, opts: GridOptions & { indices?: readonly number[] } = {}): Uint8Array {
  const im = images instanceof Tensor ? imageArray(images) : images;
  const idx = opts.indices ?? Array.from({ length: im.n }, (_, i) => i);
  const count = idx.length;
  const { c, h, w } = im;
  const d = c * h * w;
  const zoom = Math.max(1, Math.floor(opts.zoom ?? (Math.max(h, w) <= 32 ? 2 : 1)));
  const pad = opts.pad ?? 2;
  const cols = Math.max(1, Math.min(count || 1, opts.cols ?? Math.min(16, Math.ceil(Math.sqrt(count || 1)))));
  const rows = Math.max(1, Math.ceil(count / cols));
  const labels = opts.labels;
  const capH = labels && labels.length > 0 ? CAPTION_H : 0;
  const cellW = w * zoom;
  const cellH = h * zoom + capH;
  const width = pad + cols * (cellW + pad);
  const height = pad + rows * (cellH + pad);
  const png = new PNG({ width, height });
  const out = png.data;
  for (let i = 0; i < out.length; i += 4) {
    out[i] = 40; out[i + 1] = 40; out[i + 2] = 40; out[i + 3] = 255;
  }
  let gmin = Infinity;
  let gmax = -Infinity;
  if (opts.scale === 'global') {
    for (const s of idx) {
      for (let j = s * d; j < (s + 1) * d; j++) {
        const v = im.data[j]!;
        if (Number.isFinite(v)) { if (v < gmin) gmin = v; if (v > gmax) gmax = v; }
      }
    }
  }
  const rgbChannels = c === 3;
  for (let k = 0; k < count; k++) {
    const s = idx[k]!;
    const base = s * d;
    let lo = gmin;
    let hi = gmax;
    if (opts.scale !== 'global') {
      lo = Infinity; hi = -Infinity;
      for (let j = base; j < base + d; j++) {
        const v = im.data[j]!;
        if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
      }
    }
    const span = hi > lo ? hi - lo : 0;
    const x0 = pad + (k % cols) * (cellW + pad);
    const y0 = pad + Math.floor(k / cols) * (cellH + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const px: number[] = [0, 0, 0];
        let bad = false;
        for (let ch = 0; ch < 3; ch++) {
          const v = im.data[base + (rgbChannels ? ch : 0) * h * w + y * w + x]!;
          if (!Number.isFinite(v)) { bad = true; break; }
          px[ch] = span > 0 ? Math.round(((v - lo) / span) * 255) : (Number.isFinite(lo) ? 128 : 0);
        }
        const [r, g, b] = bad ? [255, 0, 255] : px;
        for (let zy = 0; zy < zoom; zy++) {
          for (let zx = 0; zx < zoom; zx++) {
            const o = ((y0 + y * zoom + zy) * width + (x0 + x * zoom + zx)) * 4;
            out[o] = r!; out[o + 1] = g!; out[o + 2] = b!;
          }
        }
      }
    }
    const label = labels?.[k];
    if (label !== undefined) drawText({ data: out, width, height }, label, x0, y0 + h * zoom + 1, cellW);
  }
  return new Uint8Array(PNG.sync.write(png));
}
