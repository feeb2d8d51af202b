// DataLoader workers that read and decode ImageFolder files themselves (Dataset.workerSource()):
// bit-identical batches to the main-thread path, fallback to dataset.get for files the workers'
// pngjs path cannot decode exactly (JPEG, 16-bit PNG), and errors that still name the file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataLoader, type Batch, type DataLoaderOptions } from '../../src/data/loader.js';
import { ImageFolder, Subset, ConcatDataset } from '../../src/data/datasets.js';
import { compose, toFloat, normalize, randomResizedCrop, randomHorizontalFlip, resize } from '../../src/data/transforms.js';
import { DataError, type LabeledImage } from '../../src/data/types.js';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(join(tmpdir(), 'sous-loader-decode-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** An ImageFolder that counts the samples loaded on the main thread. */
class Counted extends ImageFolder {
  gets: number[] = [];
  override get(index: number): Promise<LabeledImage> {
    this.gets.push(index);
    return super.get(index);
  }
}

async function write(path: string, w: number, h: number, channels: 1 | 3 | 4, seed: number, fmt: 'png' | 'jpeg' | 'png16' = 'png'): Promise<void> {
  fs.mkdirSync(join(path, '..'), { recursive: true });
  const raw = Buffer.from(Uint8Array.from({ length: w * h * channels }, (_, k) => (k * 31 + seed * 17 + ((k * seed) % 7)) % 256));
  let img = sharp(raw, { raw: { width: w, height: h, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  if (fmt === 'jpeg') img = img.jpeg({ quality: 90 });
  else if (fmt === 'png16') img = img.toColourspace(channels === 1 ? 'grey16' : 'rgb16').png();
  else img = img.png();
  await img.toFile(path);
}

async function batches(ds: ImageFolder | Subset<ImageFolder> | ConcatDataset<ImageFolder | Subset<ImageFolder>>, opts: DataLoaderOptions): Promise<{ x: number[][]; y: number[][]; idx: number[][] }> {
  const loader = new DataLoader<LabeledImage, Batch>(ds, opts);
  const r = { x: [] as number[][], y: [] as number[][], idx: [] as number[][] };
  try {
    for await (const b of loader) {
      r.x.push(Array.from(b.inputs.toArray() as Float32Array));
      r.y.push(b.targets.toNumbers());
      r.idx.push(b.indices);
      b.inputs.dispose();
      b.targets.dispose();
    }
  } finally {
    await loader.close();
  }
  return r;
}

const augment = compose([randomResizedCrop(8), randomHorizontalFlip(), toFloat(), normalize([0.5], [0.25])]);

describe('DataLoader workers decode ImageFolder files', () => {
  it('PNG folder: W=2 decodes in the workers (no dataset.get) and matches W=0 bit for bit', async () => {
    const root = join(tmp, 'png');
    for (let i = 0; i < 23; i++) await write(join(root, `c${i % 3}`, `${i}.png`), 10, 12, i % 4 === 0 ? 4 : 3, i);
    // RGB and RGBA files: every image is 3x12x10 (alpha removed), so a transform-free run can batch them
    for (const transform of [augment, undefined]) {
      const main = new Counted(root);
      const workers = new Counted(root);
      const opts = { batchSize: 5, shuffle: true, seed: 3, ...(transform ? { transform } : {}) };
      const a = await batches(main, { ...opts, numWorkers: 0 });
      const b = await batches(workers, { ...opts, numWorkers: 2 });
      assert.equal(main.gets.length, 23);
      assert.deepEqual(workers.gets, [], 'the workers loaded every file themselves');
      assert.deepEqual(b, a);
    }
  });

  it('Subset and ConcatDataset of folders pass the worker source on: workers decode, same batches as W=0', async () => {
    const root = join(tmp, 'png');
    const idx = [22, 3, 7, 0, 15, 9, 11, 4, 18, 1];
    const make = (ds: Counted) => new ConcatDataset<ImageFolder | Subset<ImageFolder>>([new Subset<ImageFolder>(ds, idx), ds]);
    const main = new Counted(root);
    const workers = new Counted(root);
    const opts = { batchSize: 4, shuffle: true, seed: 2, transform: augment };
    const a = await batches(make(main), { ...opts, numWorkers: 0 });
    const b = await batches(make(workers), { ...opts, numWorkers: 2 });
    assert.equal(main.gets.length, idx.length + 23);
    assert.deepEqual(workers.gets, [], 'the workers loaded every file themselves');
    assert.deepEqual(b, a);
    const sub = new Subset<ImageFolder>(new ImageFolder(root), idx).workerSource()!;
    assert.deepEqual(sub.paths, idx.map((i) => new ImageFolder(root).workerSource().paths[i]));
    // parts that decode differently (a grey conversion) give no worker source: the main thread loads them
    assert.equal(new ConcatDataset([new ImageFolder(root), new ImageFolder(root, { mode: 'gray' })]).workerSource(), undefined);
  });

  it('PNG folder with mode gray (a conversion): everything falls back, same batches', async () => {
    const root = join(tmp, 'png');
    const a = await batches(new Counted(root, { mode: 'gray' }), { batchSize: 4, shuffle: true, seed: 1, transform: augment, numWorkers: 0 });
    const ds = new Counted(root, { mode: 'gray' });
    const b = await batches(ds, { batchSize: 4, shuffle: true, seed: 1, transform: augment, numWorkers: 2 });
    assert.equal(ds.gets.length, 23);
    assert.deepEqual(b, a);
  });

  it('mixed folder: JPEGs and 16-bit PNGs fall back to dataset.get, the rest decode in workers', async () => {
    const root = join(tmp, 'mixed');
    const kinds: ('png' | 'jpeg' | 'png16')[] = ['png', 'jpeg', 'png', 'png16', 'png'];
    for (let i = 0; i < 15; i++) {
      const k = kinds[i % kinds.length]!;
      await write(join(root, `c${i % 2}`, `${String(i).padStart(2, '0')}.${k === 'jpeg' ? 'jpg' : 'png'}`), 9 + (i % 3), 8, 3, i, k);
    }
    const transform = compose([resize(6), randomHorizontalFlip(), toFloat()]);
    const main = new Counted(root);
    const a = await batches(main, { batchSize: 4, shuffle: true, seed: 5, transform, numWorkers: 0 });
    const ds = new Counted(root);
    const b = await batches(ds, { batchSize: 4, shuffle: true, seed: 5, transform, numWorkers: 2 });
    const expected = ds.files().map((f, i) => (/\.jpg$/.test(f) || /^c\d\/(03|08|13)\.png$/.test(f) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual([...ds.gets].sort((x, y) => x - y), expected);
    assert.equal(expected.length, 6);
    assert.deepEqual(b, a);
  });

  it('a truncated PNG and a file removed after the scan are reported with their paths', async () => {
    const root = join(tmp, 'bad');
    for (let i = 0; i < 6; i++) await write(join(root, 'a', `${i}.png`), 8, 8, 1, i);
    const full = fs.readFileSync(join(root, 'a', '2.png'));
    fs.writeFileSync(join(root, 'a', '2.png'), full.subarray(0, Math.floor(full.length / 2)));
    const truncated = new ImageFolder(root);
    await assert.rejects(batches(truncated, { batchSize: 3, transform: augment, numWorkers: 2 }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /dataset\.get\(2\) failed: ImageFolder: cannot decode /);
      assert.ok(e.message.includes(join(root, 'a', '2.png')), e.message);
      return true;
    });
    fs.writeFileSync(join(root, 'a', '2.png'), full);
    const gone = new ImageFolder(root);
    fs.rmSync(join(root, 'a', '4.png'));
    await assert.rejects(batches(gone, { batchSize: 3, numWorkers: 2 }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.ok(e.message.includes(join(root, 'a', '4.png')), e.message);
      return true;
    });
  });

  it('workerSource() is plain data', () => {
    const ds = new ImageFolder(join(tmp, 'png'));
    const src = ds.workerSource();
    assert.equal(src.kind, 'image-files');
    assert.equal(src.paths.length, ds.length);
    assert.deepEqual(structuredClone(src), src);
    assert.deepEqual(src.labels, ds.labels());
  });
});
