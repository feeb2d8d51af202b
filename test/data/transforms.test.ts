// Image transforms on hand-made images: exact where deterministic, properties where random.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  toFloat, normalize, resize, centerCrop, randomHorizontalFlip, randomVerticalFlip, randomRotation, randomAffine,
  randomResizedCrop, colorJitter, gaussianNoise, randomErasing, compose, Compose, applyTransform, applyTransforms,
  normalizationStats, isAugmentation, type TransformSpec,
} from '../../src/data/transforms.js';
import { Rng, permutation, sampleRng } from '../../src/data/random.js';
import { DataError, type Image } from '../../src/data/types.js';

function img(channels: number, height: number, width: number, values: number | number[] | ((i: number) => number), u8 = false): Image {
  const n = channels * height * width;
  const vals = typeof values === 'function' ? Array.from({ length: n }, (_, i) => values(i)) : typeof values === 'number' ? new Array<number>(n).fill(values) : values;
  assert.equal(vals.length, n);
  return { data: u8 ? Uint8Array.from(vals) : Float32Array.from(vals), channels, height, width };
}
const arr = (i: Image) => Array.from(i.data);
const rng = () => new Rng(1, 2, 3);

/** Bilinear, align_corners=False, written straight from PyTorch's definition (per output pixel). */
function refBilinear(src: Image, oh: number, ow: number): number[] {
  const { channels: C, height: H, width: W, data } = src;
  const out: number[] = [];
  const coord = (o: number, inN: number, outN: number) => Math.max(0, (o + 0.5) * (inN / outN) - 0.5);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const sy = coord(y, H, oh), sx = coord(x, W, ow);
        const y0 = Math.floor(sy), x0 = Math.floor(sx);
        const y1 = Math.min(y0 + 1, H - 1), x1 = Math.min(x0 + 1, W - 1);
        const ly = sy - y0, lx = sx - x0;
        const v = (yy: number, xx: number) => data[c * H * W + yy * W + xx]!;
        out.push((1 - ly) * ((1 - lx) * v(y0, x0) + lx * v(y0, x1)) + ly * ((1 - lx) * v(y1, x0) + lx * v(y1, x1)));
      }
    }
  }
  return out;
}
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `at ${i}: ${a[i]} vs ${b[i]}`);
}

describe('random', () => {
  it('is deterministic per key and differs across keys', () => {
    const a = new Rng(5, 0, 1), b = new Rng(5, 0, 1), c = new Rng(5, 0, 2), d = new Rng(5, 1, 1);
    const xs = Array.from({ length: 8 }, () => a.nextUint32());
    assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), xs);
    assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextUint32()), xs);
    assert.notDeepEqual(Array.from({ length: 8 }, () => d.nextUint32()), xs);
  });
  it('draws uniform values in range with the right moments, and permutations', () => {
    const r = new Rng(0);
    let s = 0, s2 = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      const k = r.int(3, 7);
      assert.ok(Number.isInteger(k) && k >= 3 && k < 7);
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    assert.ok(Math.abs(s / 20000) < 0.05 && Math.abs(s2 / 20000 - 1) < 0.05);
    const p = permutation(100, new Rng(9));
    assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    assert.notDeepEqual([...p], Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('deterministic transforms', () => {
  it('toFloat scales uint8 to 0-1 and leaves float32 alone', () => {
    const out = applyTransform(toFloat(), img(1, 1, 3, [0, 255, 51], true));
    assert.ok(out.data instanceof Float32Array);
    assert.deepEqual(arr(out), [0, 1, Math.fround(0.2)]);
    const f = img(1, 1, 2, [0.5, 3]);
    assert.equal(applyTransform(toFloat(), f), f);
  });
  it('normalize subtracts the mean and divides by the std per channel', () => {
    const out = applyTransform(normalize([1, 10], [2, 5]), img(2, 1, 2, [1, 3, 10, 20]));
    assert.deepEqual(arr(out), [0, 1, 0, 2]);
    assert.throws(() => applyTransform(normalize([0], [1]), img(1, 1, 1, [3], true)), /toFloat/);
    assert.throws(() => applyTransform(normalize([0, 0], [1, 1]), img(3, 1, 1, [1, 2, 3])), /2 means for an image of 3 channels/);
  });
  it('resize matches F.interpolate(bilinear, align_corners=False)', () => {
    // known PyTorch outputs
    assert.deepEqual(arr(applyTransform(resize([4, 4]), img(1, 2, 2, [0, 1, 2, 3]))),
      [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
    assert.deepEqual(arr(applyTransform(resize(2), img(1, 4, 4, (i) => i))), [2.5, 4.5, 10.5, 12.5]);
    // odd ratios, several channels, against the per-pixel reference
    const src = img(3, 5, 7, (i) => Math.sin(i * 1.7) * 10);
    for (const [h, w] of [[3, 4], [8, 11], [5, 2], [1, 1], [9, 7]] as const) {
      const out = applyTransform(resize([h, w]), src);
      assert.deepEqual([out.channels, out.height, out.width], [3, h, w]);
      close(out.data, refBilinear(src, h, w));
    }
    // uint8 stays uint8, rounded
    const u = applyTransform(resize([1, 3]), img(1, 1, 2, [0, 255], true));
    assert.ok(u.data instanceof Uint8Array);
    assert.deepEqual(arr(u), refBilinear(img(1, 1, 2, [0, 255]), 1, 3).map(Math.round));
  });
  it('centerCrop takes the middle (torchvision offsets) and pads with zeros', () => {
    const src = img(1, 4, 4, (i) => i);
    assert.deepEqual(arr(applyTransform(centerCrop(2), src)), [5, 6, 9, 10]);
    // 5 -> 2: offset round(1.5) = 2 as Python rounds
    assert.deepEqual(arr(applyTransform(centerCrop([2, 2]), img(1, 5, 5, (i) => i))), [12, 13, 17, 18]);
    assert.deepEqual(arr(applyTransform(centerCrop([1, 3]), img(2, 3, 3, (i) => i))), [3, 4, 5, 12, 13, 14]);
    assert.deepEqual(arr(applyTransform(centerCrop(4), img(1, 2, 2, [1, 2, 3, 4]))), [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });
});

describe('augmentations', () => {
  const src = img(2, 2, 3, (i) => i);
  it('flips exactly with p = 1 and never with p = 0', () => {
    assert.deepEqual(arr(applyTransform(randomHorizontalFlip(1), src, rng())), [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]);
    assert.deepEqual(arr(applyTransform(randomVerticalFlip(1), src, rng())), [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
    assert.deepEqual(arr(applyTransform(randomHorizontalFlip(0), src, rng())), arr(src));
    // p = 0.5 flips about half the samples
    let flipped = 0;
    for (let i = 0; i < 1000; i++) if (applyTransform(randomHorizontalFlip(), src, sampleRng(0, 0, i)).data[0] === 2) flipped++;
    assert.ok(flipped > 430 && flipped < 570, `${flipped}`);
  });
  it('rotation by 90 degrees (nearest) is exact, counter-clockwise', () => {
    const sq = img(1, 3, 3, (i) => i + 1);
    // [[1,2,3],[4,5,6],[7,8,9]] rotated counter-clockwise
    assert.deepEqual(arr(applyTransform(randomRotation([90, 90]), sq, rng())), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
    const r = applyTransform(randomRotation(30, { interpolation: 'bilinear', fill: -1 }), img(1, 8, 8, 1), rng());
    assert.ok(arr(r).some((v) => v !== 1)); // corners come from outside
  });
  it('affine translation shifts the image by a whole number of pixels within the range', () => {
    const s = img(1, 6, 6, (i) => i + 1);
    for (let k = 0; k < 20; k++) {
      const out = arr(applyTransform(randomAffine({ translate: [0.34, 0.34] }), s, sampleRng(3, 0, k)));
      let found = false;
      for (let ty = -2; ty <= 2 && !found; ty++) {
        for (let tx = -2; tx <= 2 && !found; tx++) {
          const want = Array.from({ length: 36 }, (_, i) => {
            const y = Math.floor(i / 6) - ty, x = (i % 6) - tx;
            return y >= 0 && y < 6 && x >= 0 && x < 6 ? y * 6 + x + 1 : 0;
          });
          found = want.every((v, i) => v === out[i]);
        }
      }
      assert.ok(found, `not a shift: ${out}`);
    }
    const z = applyTransform(randomAffine({ degrees: 10, scale: [0.8, 1.2] }), img(3, 5, 5, 1, true), rng());
    assert.ok(z.data instanceof Uint8Array && z.data.length === 75);
  });
  it('randomResizedCrop gives the requested size; full scale and ratio 1 is a plain resize', () => {
    const s = img(3, 10, 10, (i) => (i * 37) % 101);
    for (let k = 0; k < 20; k++) {
      const out = applyTransform(randomResizedCrop([4, 6]), s, sampleRng(0, 0, k));
      assert.deepEqual([out.channels, out.height, out.width], [3, 4, 6]);
    }
    assert.deepEqual(arr(applyTransform(randomResizedCrop(4, { scale: [1, 1], ratio: [1, 1] }), s, rng())), arr(applyTransform(resize(4), s)));
  });
  it('colorJitter: brightness scales and clamps, contrast 0 gives the mean, saturation 0 gives gray', () => {
    assert.deepEqual(arr(applyTransform(colorJitter({ brightness: [2, 2] }), img(1, 1, 3, [0.1, 0.25, 0.75]), rng())), [Math.fround(0.2), 0.5, 1]);
    assert.deepEqual(arr(applyTransform(colorJitter({ brightness: [2, 2] }), img(1, 1, 3, [10, 100, 200], true), rng())), [20, 200, 255]);
    assert.deepEqual(arr(applyTransform(colorJitter({ contrast: [0, 0] }), img(1, 1, 4, [0, 0.5, 0.5, 1]), rng())), [0.5, 0.5, 0.5, 0.5]);
    const rgb = img(3, 1, 2, [1, 0, 0, 1, 0, 0]);
    const g = arr(applyTransform(colorJitter({ saturation: [0, 0] }), rgb, rng()));
    close(g, [0.299, 0.587, 0.299, 0.587, 0.299, 0.587]);
    const j = applyTransform(colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }), img(3, 4, 4, (i) => (i % 7) / 7), rng());
    assert.ok(arr(j).every((v) => v >= 0 && v <= 1));
  });
  it('gaussianNoise adds noise of the given std to float images', () => {
    const s = img(1, 100, 100, 0.5);
    assert.deepEqual(arr(applyTransform(gaussianNoise(0), s, rng())), arr(s));
    const d = arr(applyTransform(gaussianNoise(0.1), s, rng())).map((v) => v - 0.5);
    const m = d.reduce((a, b) => a + b) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
    assert.ok(Math.abs(m) < 0.01 && Math.abs(sd - 0.1) < 0.01, `${m} ${sd}`);
    assert.throws(() => applyTransform(gaussianNoise(1), img(1, 1, 1, [3], true), rng()), /float32/);
  });
  it('randomErasing sets one rectangle to the value and leaves the rest', () => {
    const s = img(2, 10, 10, 1);
    for (let k = 0; k < 10; k++) {
      const out = arr(applyTransform(randomErasing({ p: 1, value: 7 }), s, sampleRng(0, 0, k)));
      const erased = out.map((v, i) => ({ v, i })).filter((e) => e.v === 7);
      assert.ok(out.every((v) => v === 1 || v === 7));
      assert.ok(erased.length > 0 && erased.length % 2 === 0);
      const ys = erased.filter((e) => e.i < 100).map((e) => Math.floor(e.i / 10)), xs = erased.filter((e) => e.i < 100).map((e) => e.i % 10);
      const h = Math.max(...ys) - Math.min(...ys) + 1, w = Math.max(...xs) - Math.min(...xs) + 1;
      assert.equal(h * w, erased.length / 2, 'a rectangle, in both channels');
    }
    assert.deepEqual(arr(applyTransform(randomErasing({ p: 0 }), s, rng())), arr(s));
  });
  it('the same generator gives the same output, another one a different output', () => {
    const t = compose([toFloat(), randomRotation(20), colorJitter({ brightness: 0.3 }), gaussianNoise(0.05)]);
    const s = img(1, 8, 8, (i) => i * 3, true);
    assert.deepEqual(arr(t.apply(s, sampleRng(1, 0, 4))), arr(t.apply(s, sampleRng(1, 0, 4))));
    assert.notDeepEqual(arr(t.apply(s, sampleRng(1, 0, 4))), arr(t.apply(s, sampleRng(1, 0, 5))));
    assert.notDeepEqual(arr(t.apply(s, sampleRng(1, 0, 4))), arr(t.apply(s, sampleRng(1, 1, 4))));
  });
  it('never modifies its input', () => {
    const s = img(3, 6, 6, (i) => i % 256, true);
    const before = arr(s);
    const all: TransformSpec[] = [randomHorizontalFlip(1), randomVerticalFlip(1), randomRotation(45), randomAffine({ degrees: 10, translate: [0.2, 0.2], scale: [0.9, 1.1] }),
      randomResizedCrop(4), colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5 }), randomErasing({ p: 1 }), resize(3), centerCrop(2), toFloat()];
    for (const t of all) applyTransform(t, s, rng());
    assert.deepEqual(arr(s), before);
  });
});

describe('compose', () => {
  it('eval() drops the augmentations; randomResizedCrop becomes resize', () => {
    const t = compose([toFloat(), randomResizedCrop(2), randomHorizontalFlip(1), gaussianNoise(1), normalize([0.5], [0.5])]);
    assert.equal(t.training, true);
    assert.ok(t.random);
    const e = t.eval();
    assert.equal(e.training, false);
    assert.equal(e.random, false);
    assert.deepEqual(e.active.map((x) => x.kind), ['toFloat', 'resize', 'normalize']);
    const s = img(1, 4, 4, (i) => i * 10, true);
    assert.deepEqual(arr(e.apply(s)), arr(compose([toFloat(), resize(2), normalize([0.5], [0.5])]).apply(s)));
    assert.deepEqual(e.train().active.length, 5);
    assert.ok(isAugmentation(randomErasing()) && !isAugmentation(resize(2)));
  });
  it('is plain data: survives JSON and structured cloning', () => {
    const t = compose([toFloat(), compose([randomRotation(10)]), normalize([0.1], [0.2])]);
    const back = JSON.parse(JSON.stringify(t)) as { transforms: TransformSpec[]; training: boolean };
    const u = new Compose(back.transforms, back.training);
    const s = img(1, 5, 5, (i) => i, true);
    assert.deepEqual(arr(u.apply(s, sampleRng(0, 0, 0))), arr(t.apply(s, sampleRng(0, 0, 0))));
    assert.deepEqual(structuredClone(t.active), t.active);
  });
  it('augmentations need a generator', () => {
    assert.throws(() => compose([randomHorizontalFlip()]).apply(img(1, 1, 1, [1])), /needs a random generator/);
    assert.deepEqual(arr(compose([randomHorizontalFlip()]).eval().apply(img(1, 1, 1, [1]))), [1]);
  });
});

describe('normalizationStats', () => {
  it('computes per-channel mean and std in toFloat units', () => {
    const a = img(2, 1, 2, [0, 2, 10, 10]), b = img(2, 1, 2, [4, 2, 20, 20]);
    const { mean, std } = normalizationStats([a, b]);
    assert.deepEqual(mean, [2, 15]);
    close(std, [Math.sqrt(2), 5], 1e-12);
    const u = normalizationStats([img(1, 1, 2, [0, 255], true)]);
    assert.deepEqual(u, { mean: [0.5], std: [0.5] });
    assert.throws(() => normalizationStats([]), /no images/);
    assert.throws(() => normalizationStats([a, img(1, 1, 1, [1])]), /channels/);
  });
});

describe('applyTransforms fast path', () => {
  // applyTransforms runs resample + flips + toFloat + normalize on uint8 images in one pass; it must
  // give the values of applyTransform one by one, bit for bit, and draw from the generator alike
  const oneByOne = (ts: readonly TransformSpec[], im: Image, r?: Rng) => {
    let out = im;
    for (const t of ts) out = applyTransform(t, out, r);
    return out;
  };
  const same = (ts: readonly TransformSpec[], im: Image, key: number) => {
    const r1 = sampleRng(5, 1, key), r2 = sampleRng(5, 1, key);
    const a = applyTransforms(ts, im, r1), b = oneByOne(ts, im, r2);
    assert.deepEqual([a.channels, a.height, a.width, a.data.constructor], [b.channels, b.height, b.width, b.data.constructor]);
    assert.ok(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), `${JSON.stringify(ts)} key ${key}`);
    assert.equal(r1.nextUint32(), r2.nextUint32()); // the same number of draws
  };
  it('matches the transforms one by one exactly (uint8 images, many pipelines and samples)', () => {
    const pipelines: TransformSpec[][] = [
      [randomResizedCrop(28), randomHorizontalFlip(0.5), toFloat(), normalize([0.286], [0.353])],
      [randomResizedCrop([12, 20], { scale: [0.3, 1] }), randomVerticalFlip(0.5), randomHorizontalFlip(0.7), toFloat(), normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])],
      [resize([9, 31]), toFloat(), randomHorizontalFlip(1), normalize([0.1], [0.7]), randomVerticalFlip(1)],
      [toFloat(), randomHorizontalFlip(0.5), normalize([0.286], [0.353])],
      [randomHorizontalFlip(0.5), randomResizedCrop(7)],
      [resize(5), randomHorizontalFlip(0), toFloat()],
      [randomResizedCrop(16), colorJitter({ brightness: 0.5 }), toFloat(), normalize([0.5], [0.5])],
      [centerCrop(20), randomResizedCrop(10), randomHorizontalFlip(), toFloat(), normalize([0.5], [0.25]), randomErasing({ p: 1 })],
      [randomHorizontalFlip(0), randomVerticalFlip(0)],
      [randomResizedCrop(28), randomHorizontalFlip(0.5), toFloat(), toFloat(), normalize([0.2], [0.3]), normalize([0.1], [2])],
    ];
    for (const C of [1, 3]) {
      for (const [H, W] of [[28, 28], [17, 40], [1, 5]] as const) {
        const im = img(C, H, W, (i) => (i * 97 + (i >> 3) * 13) % 256, true);
        for (const ts of pipelines) {
          if (ts.some((t) => t.kind === 'normalize' && t.mean.length !== 1 && t.mean.length !== C)) continue;
          for (let k = 0; k < 40; k++) same(ts, im, k);
        }
      }
    }
  });
  it('keeps the errors of the transforms one by one', () => {
    const u = img(3, 4, 4, 7, true);
    assert.throws(() => applyTransforms([randomResizedCrop(2)], u), /randomResizedCrop is an augmentation and needs a random generator/);
    assert.throws(() => applyTransforms([resize(2), randomHorizontalFlip()], u), /randomHorizontalFlip is an augmentation/);
    assert.throws(() => applyTransforms([resize(2), normalize([0], [1])], u), /toFloat/);
    assert.throws(() => applyTransforms([toFloat(), normalize([0, 0], [1, 1])], u), /2 means for an image of 3 channels/);
    assert.throws(() => applyTransforms([resize(2)], { data: new Uint8Array(3), channels: 1, height: 2, width: 2 }), /3 values, 1x2x2 needs 4/);
    const same = applyTransforms([randomHorizontalFlip(0)], u, rng());
    assert.equal(same, u); // nothing happened: the input itself, as applyTransform returns it
  });
});

describe('bad arguments', () => {
  it('fail with clear DataErrors', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => resize(0), /resize\(\): size must be positive integers/],
      [() => resize([2, 2.5]), /positive integers/],
      [() => centerCrop([1, 2, 3] as unknown as [number, number]), /\[height, width\]/],
      [() => randomHorizontalFlip(2), /probability/],
      [() => normalize([0], [0]), /std must be positive/],
      [() => normalize([0, 1], [1]), /same length/],
      [() => randomRotation(-5), /degrees must be >= 0/],
      [() => randomRotation([10, 5]), /min <= max/],
      [() => randomRotation(5, { interpolation: 'cubic' as 'nearest' }), /interpolation/],
      [() => randomAffine({ translate: [2, 0] }), /translate/],
      [() => randomResizedCrop(4, { scale: [0.5, 2] }), /scale must lie in/],
      [() => colorJitter({ brightness: -1 }), /brightness must be >= 0/],
      [() => gaussianNoise(-1), /std must be/],
      [() => randomErasing({ value: 'x' as 'random' }), /value must be/],
      [() => compose([{ foo: 1 } as unknown as TransformSpec]), /transform descriptions/],
      [() => applyTransform({ kind: 'blur' } as unknown as TransformSpec, img(1, 1, 1, [1])), /unknown transform 'blur'/],
      [() => applyTransform(toFloat(), { data: new Float32Array(3), channels: 1, height: 2, width: 2 }), /3 values, 1x2x2 needs 4/],
    ];
    for (const [f, re] of cases) assert.throws(f, (e: unknown) => e instanceof DataError && re.test((e as Error).message), String(f));
  });
});
