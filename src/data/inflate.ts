// zlib (RFC 1950) streams of a known decompressed size, for the PNG fast path (png.ts). For images of
// a few hundred bytes, zlib.inflateSync's fixed cost per call (a native stream made and torn down,
// ~14 us measured) was most of the decode time; fflate (a well-kept pure-JS inflater) decodes such
// a stream on the calling thread in a few microseconds. fflate neither checks the Adler-32 trailer
// nor complains when the output buffer is too short or too long, so this does: it never returns
// bytes that zlib would not. Any failure throws; the caller falls back to pngjs.

import { unzlibSync } from 'fflate';

function adler32(b: Uint8Array): number {
  let a = 1, s = 0;
  const n = b.length;
  for (let i = 0; i < n;) {
    // 5552: the most bytes before s can pass 2^53 in the worst case (zlib's NMAX)
    const stop = Math.min(n, i + 5552);
    for (; i < stop; i++) {
      a += b[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Inflates the zlib stream src[start, end) that must decompress to exactly `outLength` bytes. */
export function inflateZlibExact(src: Uint8Array, start: number, end: number, outLength: number): Uint8Array {
  if (end - start < 6) throw new Error('inflate: the stream is too short for a zlib header and checksum');
  // one spare byte: a stream that decodes to more than outLength fills it, and is refused
  const out = unzlibSync(src.subarray(start, end), { out: new Uint8Array(outLength + 1) });
  if (out.length !== outLength) throw new Error(`inflate: decoded ${out.length} bytes, expected ${outLength}`);
  const want = ((src[end - 4]! << 24) | (src[end - 3]! << 16) | (src[end - 2]! << 8) | src[end - 1]!) >>> 0;
  if (adler32(out) !== want) throw new Error('inflate: Adler-32 checksum mismatch');
  return out;
}
