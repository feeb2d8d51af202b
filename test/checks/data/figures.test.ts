// gridPng: decodes back with pngjs to the expected size; per-image scaling; captions drawn.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { torch, type Tensor } from '../../../src/index.js';
import { gridPng } from '../../../src/checks/figures.js';

const owned: Tensor[] = [];
after(() => { for (const t of owned) t.dispose(); });

describe('gridPng', () => {
  it('a [6, 1, 8, 8] grid decodes to the expected size, each image min-max scaled', () => {
    const x = new Float32Array(6 * 64);
    for (let i = 0; i < 6; i++) for (let p = 0; p < 64; p++) x[i * 64 + p] = (i + 1) * 1000 + p; // different ranges per image
    const t = torch.fromTypedArray(x, [6, 1, 8, 8]).keep();
    owned.push(t);
    const png = PNG.sync.read(Buffer.from(gridPng(t, { cols: 3, zoom: 2, pad: 2 })));
    assert.equal(png.width, 2 + 3 * (16 + 2));
    assert.equal(png.height, 2 + 2 * (16 + 2));
    // first pixel of image 0 is its minimum (black), last its maximum (white)
    const at = (x0: number, y0: number) => png.data[(y0 * png.width + x0) * 4]!;
    assert.equal(at(2, 2), 0);
    assert.equal(at(2 + 15, 2 + 15), 255);
    // image 4 (row 1, col 1) is scaled on its own: min black too
    assert.equal(at(2 + 18, 2 + 18), 0);
  });

  it('RGB [4, 3, 5, 7] with captions: size includes the caption strip; text pixels are drawn', () => {
    const t = torch.tidy(() => torch.rand([4, 3, 5, 7]).mul(255)).keep();
    owned.push(t);
    const bytes = gridPng(t, { cols: 4, zoom: 4, labels: ['Ankle boot', 'T-shirt/top', 'x', '9'] });
    const png = PNG.sync.read(Buffer.from(bytes));
    assert.equal(png.width, 2 + 4 * (28 + 2));
    assert.equal(png.height, 2 + (20 + 9 + 2));
    let white = 0;
    for (let y = 2 + 20; y < 2 + 29; y++) for (let x = 0; x < png.width; x++) if (png.data[(y * png.width + x) * 4] === 255) white++;
    assert.ok(white > 20, `caption pixels: ${white}`);
  });

  it('[N, H, W] input, global scaling, NaN drawn magenta', () => {
    const x = new Float32Array(2 * 4 * 4).fill(1);
    x[0] = Number.NaN;
    x[16] = 5;
    const t = torch.fromTypedArray(x, [2, 4, 4]).keep();
    owned.push(t);
    const png = PNG.sync.read(Buffer.from(gridPng(t, { zoom: 1, pad: 0, scale: 'global' })));
    assert.equal(png.width, 8);
    assert.equal(png.height, 4);
    assert.deepEqual([...png.data.subarray(0, 3)], [255, 0, 255]);
    assert.equal(png.data[(0 * 8 + 4) * 4], 255); // the 5 in image 1 is the global max
    assert.equal(png.data[(0 * 8 + 5) * 4], 0); // its 1s the global min
  });
});
