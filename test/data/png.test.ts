// The PNG fast path (png.ts: own chunk walk + inflate.ts) against pngjs and zlib: the same pixels for
// every plain 8-bit PNG, null (fall back to pngjs, then sharp) for anything damaged or unusual, and an
// inflater that never returns bytes zlib would not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { PNG } from 'pngjs';
import { crc32, crc32Js, decodePlainPng, decodeSmallPngBuffer } from '../../src/data/png.js';
import { inflateZlibExact } from '../../src/data/inflate.js';
import { Rng } from '../../src/data/random.js';

/** What the pngjs path gives: channel-first, alpha dropped (grey types keep 1 channel). */
function viaPngjs(buf: Buffer): Uint8Array {
  const png = PNG.sync.read(buf);
  const channels = buf[25] === 0 || buf[25] === 4 ? 1 : 3;
  const plane = png.width * png.height;
  const out = new Uint8Array(plane * channels);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) out[c * plane + p] = png.data[p * 4 + c]!;
  return out;
}

const plain = (b: Buffer) => decodePlainPng(b, b.readUInt32BE(16), b.readUInt32BE(20), b[25]!);

async function encode(w: number, h: number, channels: 1 | 2 | 3 | 4, level: number, smooth: boolean, rng: Rng): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = smooth ? ((i * 7) % 251 + Math.floor(i / w)) & 255 : rng.int(0, 256);
  let s = sharp(raw, { raw: { width: w, height: h, channels } });
  if (channels <= 2) s = s.toColourspace('b-w');
  return s.png({ compressionLevel: level, adaptiveFiltering: level > 5 }).toBuffer();
}

/** A copy of a PNG with one chunk's CRC recomputed (after editing its data). */
function fixCrc(buf: Buffer, chunkAt: number): void {
  const len = buf.readUInt32BE(chunkAt);
  buf.writeUInt32BE(crc32(buf.subarray(chunkAt + 4, chunkAt + 8 + len)), chunkAt + 8 + len);
}

describe('PNG fast path', () => {
  it('decodes grey, grey+alpha, RGB and RGBA PNGs exactly as pngjs (every filter, compression level, size)', async () => {
    const rng = new Rng(7);
    let n = 0;
    for (const ch of [1, 2, 3, 4] as const) {
      for (const [w, h] of [[1, 1], [28, 28], [37, 13], [200, 150]] as const) {
        for (const level of [0, 1, 6, 9]) {
          for (const smooth of [false, true]) {
            const b = await encode(w, h, ch, level, smooth, rng);
            const d = plain(b);
            assert.ok(d !== null, `fast path refused ${ch} channels ${w}x${h} level ${level}`);
            assert.deepEqual([d.channels, d.height, d.width], [ch <= 2 ? 1 : 3, h, w]);
            assert.ok(Buffer.from(d.data).equals(Buffer.from(viaPngjs(b))), `${ch} channels ${w}x${h} level ${level} smooth ${smooth}`);
            n++;
          }
        }
      }
    }
    assert.equal(n, 128);
  });

  it('returns null for damaged or unusual files; decodeSmallPngBuffer then behaves as before', async () => {
    const good = await encode(28, 28, 1, 6, false, new Rng(3));
    const idat = good.indexOf('IDAT') - 4;
    const cases: [string, Buffer][] = [];
    const badCrc = Buffer.from(good);
    badCrc[idat + 9] ^= 1;
    cases.push(['a CRC error', badCrc]);
    const badData = Buffer.from(good); // damaged deflate data, CRC made right again
    badData[idat + 8 + 20] ^= 0x55;
    fixCrc(badData, idat);
    cases.push(['damaged deflate data', badData]);
    cases.push(['truncated', good.subarray(0, good.length - 20)]);
    cases.push(['no IEND', good.subarray(0, good.length - 12)]);
    const interlaced = Buffer.from(good);
    interlaced[28] = 1;
    fixCrc(interlaced, 8);
    cases.push(['interlaced', interlaced]);
    const palette = await sharp(Buffer.alloc(28 * 28 * 3, 9), { raw: { width: 28, height: 28, channels: 3 } }).png({ palette: true }).toBuffer();
    cases.push(['a palette', palette]);
    for (const [what, b] of cases) {
      assert.equal(plain(b), null, what);
      let want: Uint8Array | null;
      try {
        want = viaPngjs(b);
      } catch {
        want = null;
      }
      const got = decodeSmallPngBuffer(b);
      if (b[25] === 3) continue; // palette: pngjs's RGB, checked elsewhere
      assert.equal(got === null, want === null, what);
      if (got !== null) assert.ok(Buffer.from(got.data).equals(Buffer.from(want!)), what);
    }
  });
});

describe('crc32', () => {
  it('is the CRC-32 of PNG chunks (check value, and zlib where it has one)', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32Js(Buffer.from('123456789')), 0xcbf43926);
    const rng = new Rng(5);
    const d = Buffer.from(Array.from({ length: 1000 }, () => rng.int(0, 256)));
    assert.equal(crc32Js(d), crc32(d));
    assert.equal(crc32Js(new Uint8Array(0)), 0);
  });
});

describe('inflateZlibExact', () => {
  it('inflates what zlib deflates (every level and strategy), and refuses what zlib refuses', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 400; t++) {
      const len = rng.int(0, 6000);
      const alphabet = rng.int(1, 257);
      const d = Buffer.alloc(len);
      for (let i = 0; i < len; i++) d[i] = i > 10 && rng.next() < 0.3 ? d[i - 1 - rng.int(0, 10)]! : rng.int(0, alphabet);
      const z = zlib.deflateSync(d, { level: t % 10, strategy: t % 5 });
      assert.ok(Buffer.from(inflateZlibExact(z, 0, z.length, len)).equals(d), `case ${t}`);
      assert.throws(() => inflateZlibExact(z, 0, z.length, len + 1));
      if (len > 0) assert.throws(() => inflateZlibExact(z, 0, z.length, len - 1));
      assert.throws(() => inflateZlibExact(z, 0, z.length - 1, len)); // truncated checksum
      // one flipped bit: an error, or exactly zlib's output
      const c = Buffer.from(z);
      c[rng.int(0, c.length)] ^= 1 << rng.int(0, 8);
      let ref: Buffer | null = null;
      try {
        ref = zlib.inflateSync(c);
      } catch {
        ref = null;
      }
      let got: Uint8Array | null = null;
      try {
        got = inflateZlibExact(c, 0, c.length, len);
      } catch {
        got = null;
      }
      if (got !== null) assert.ok(ref !== null && Buffer.from(got).equals(ref), `case ${t}: accepted a stream zlib refuses or decodes otherwise`);
    }
  });
});
