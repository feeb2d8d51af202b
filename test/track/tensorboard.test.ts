// EventFileWriter → readEventFile round trips, the file name and first record, and the reader's
// checks (CRC mismatch, truncation) with byte offsets. No TensorBoard/TensorFlow Python package is
// installed here to serve as an oracle, so the format is checked against the spec's bytes instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { EventFileWriter, readEventFile } from '../../src/track/tensorboard.js';
import { decodeHParamsPluginData, SessionStatus } from '../../src/track/hparams.js';
import { crc32c, maskCrc } from '../../src/track/crc32c.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sous-tb-'));
}

function tinyPng(): Uint8Array {
  const png = new PNG({ width: 2, height: 3 });
  png.data.fill(200);
  return new Uint8Array(PNG.sync.write(png));
}

test('EventFileWriter: file name, TFRecord framing and the file_version record', () => {
  const dir = tempDir();
  try {
    const before = Math.floor(Date.now() / 1000);
    const w = new EventFileWriter(join(dir, 'nested'), { filenameSuffix: '.x' });
    w.close();
    const name = basename(w.path);
    const m = /^events\.out\.tfevents\.(\d+)\.(.+)\.(\d+)\.(\d+)\.x$/.exec(name);
    assert.ok(m, name);
    assert.ok(Number(m[1]) >= before && Number(m[1]) <= before + 5);
    assert.equal(m[2], hostname());
    assert.equal(Number(m[3]), process.pid);

    const buf = readFileSync(w.path);
    const length = Number(buf.readBigUInt64LE(0));
    assert.equal(buf.length, 12 + length + 4, 'one record');
    assert.equal(buf.readUInt32LE(8), maskCrc(crc32c(buf.subarray(0, 8))));
    assert.equal(buf.readUInt32LE(12 + length), maskCrc(crc32c(buf.subarray(12, 12 + length))));

    const [e] = readEventFile(w.path);
    assert.equal(e.fileVersion, 'brain.Event:2');
    assert.equal(e.step, 0);
    assert.ok(Math.abs(e.wallTime - Date.now() / 1000) < 60);

    // two writers in one process and second never share a file
    const a = new EventFileWriter(dir);
    const b = new EventFileWriter(dir);
    assert.notEqual(a.path, b.path);
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EventFileWriter: scalars, images, histograms and hparams read back', () => {
  const dir = tempDir();
  try {
    const w = new EventFileWriter(dir);
    w.scalar('train/loss', 0.1, 1, 1700000000.25);
    w.scalar('train/loss', 2.5, 2);
    w.scalar('big', 1e10, 2 ** 40);
    w.scalar('neg', -7, -3);
    const png = tinyPng();
    w.image('samples/0', png, 3, 2, 4, 5);
    w.histogram('weights', [0.5, -1, 2, 2, 3], 6);
    w.histogram('weights_lin', [0, 1, 2, 3], 6, 2);
    w.flush();
    w.hparams({ lr: 0.01, optim: 'adamw', augment: false, layers: 0 }, { 'train/loss': 2.5, 'test/accuracy': 0.875 }, { step: 7, startTimeSecs: 1700000000, experiment: true });
    w.close();
    w.close(); // closing twice is harmless
    assert.throws(() => w.scalar('x', 1, 1), /is closed/);

    const events = readEventFile(w.path);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    const values = events.slice(1).flatMap((e) => e.values.map((v) => ({ ...v, step: e.step, wallTime: e.wallTime })));
    const byTag = (tag: string) => values.filter((v) => v.tag === tag);

    const loss = byTag('train/loss');
    assert.deepEqual(loss.map((v) => [v.step, v.simpleValue]), [[1, Math.fround(0.1)], [2, 2.5]], 'simple_value is float32');
    assert.notEqual(loss[0].simpleValue, 0.1);
    assert.equal(loss[0].wallTime, 1700000000.25);
    assert.deepEqual(byTag('big').map((v) => [v.step, v.simpleValue]), [[2 ** 40, 1e10]]);
    assert.deepEqual(byTag('neg').map((v) => [v.step, v.simpleValue]), [[-3, -7]]);

    const [img] = byTag('samples/0');
    assert.equal(img.step, 5);
    assert.deepEqual({ ...img.image!, encoded: Buffer.from(img.image!.encoded) }, { height: 3, width: 2, colorspace: 4, encoded: Buffer.from(png) });

    const [h] = byTag('weights');
    assert.equal(h.step, 6);
    assert.deepEqual([h.histo!.min, h.histo!.max, h.histo!.num, h.histo!.sum, h.histo!.sumSquares], [-1, 3, 5, 6.5, 18.25]);
    assert.equal(h.histo!.bucket.reduce((a, b) => a + b, 0), 5);
    const [hl] = byTag('weights_lin');
    assert.deepEqual([hl.histo!.bucketLimit, hl.histo!.bucket], [[1.5, 3], [2, 2]]);

    // hparams: experiment, session start, metric scalars, session end, all tagged with the hparams plugin
    const [exp] = byTag('_hparams_/experiment');
    const [start] = byTag('_hparams_/session_start_info');
    const [end] = byTag('_hparams_/session_end_info');
    for (const v of [exp, start, end]) assert.equal(v.plugin?.name, 'hparams');
    const expData = decodeHParamsPluginData(exp.plugin!.content);
    assert.equal(expData.version, 0);
    assert.deepEqual(expData.experiment?.hparams, [{ name: 'lr', type: 3 }, { name: 'optim', type: 1 }, { name: 'augment', type: 2 }, { name: 'layers', type: 3 }]);
    assert.deepEqual(expData.experiment?.metrics, ['train/loss', 'test/accuracy']);
    const startData = decodeHParamsPluginData(start.plugin!.content);
    assert.deepEqual(startData.sessionStart, { hparams: { lr: 0.01, optim: 'adamw', augment: false, layers: 0 }, groupName: '', startTimeSecs: 1700000000 });
    assert.equal(startData.sessionEnd, undefined);
    assert.deepEqual(decodeHParamsPluginData(end.plugin!.content).sessionEnd, { status: SessionStatus.SUCCESS, endTimeSecs: 0 });
    assert.equal(end.step, 7);
    // train/loss was already logged, so only the new metric gets a scalar
    assert.equal(byTag('train/loss').length, 2);
    assert.deepEqual(byTag('test/accuracy').map((v) => [v.step, v.simpleValue]), [[7, 0.875]]);
    // plugin summaries carry no payload of their own
    assert.equal(start.simpleValue, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EventFileWriter: bad arguments are rejected before anything is written', () => {
  const dir = tempDir();
  try {
    const w = new EventFileWriter(dir);
    assert.throws(() => w.scalar('a', 1, 1.5), /step must be an integer/);
    assert.throws(() => w.scalar('', 1, 1), /non-empty tag/);
    assert.throws(() => w.image('i', new Uint8Array(1), 1, 1, 5, 0), /channels/);
    assert.throws(() => w.hparams({ x: null as unknown as number }, {}), /'x' is null/);
    w.close();
    assert.equal(readEventFile(w.path).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readEventFile: a corrupt byte is a CRC mismatch at the record\'s offset', () => {
  const dir = tempDir();
  try {
    const w = new EventFileWriter(dir);
    w.scalar('a', 1, 1);
    w.scalar('b', 2, 2);
    w.close();
    const good = readFileSync(w.path);
    const events = readEventFile(w.path);
    const second = events[2].offset; // file_version, a, b
    assert.equal(second, events[1].offset + 12 + Number(good.readBigUInt64LE(events[1].offset)) + 4);

    const payload = Buffer.from(good);
    payload[second + 12 + 3] ^= 0x01; // inside the third record's payload
    writeFileSync(w.path, payload);
    assert.throws(() => readEventFile(w.path), (e: Error) => new RegExp(`data CRC mismatch in the record at byte ${second}\\b`).test(e.message) && e.message.includes(w.path));

    const header = Buffer.from(good);
    header[second + 1] ^= 0x40; // the length field: its own CRC catches it before the length is trusted
    writeFileSync(w.path, header);
    assert.throws(() => readEventFile(w.path), new RegExp(`length CRC mismatch in the record at byte ${second}\\b`));

    const footer = Buffer.from(good);
    footer[footer.length - 1] ^= 0xff; // the stored data CRC itself
    writeFileSync(w.path, footer);
    assert.throws(() => readEventFile(w.path), new RegExp(`data CRC mismatch in the record at byte ${second}\\b`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readEventFile: a truncated file is a clear truncation error at the torn record', () => {
  const dir = tempDir();
  try {
    const w = new EventFileWriter(dir);
    w.scalar('a', 1, 1);
    w.scalar('b', 2, 2);
    w.close();
    const events = readEventFile(w.path);
    const last = events[2].offset;
    const size = readFileSync(w.path).length;
    truncateSync(w.path, size - 2); // loses half the footer
    assert.throws(() => readEventFile(w.path), new RegExp(`truncated record at byte ${last}\\b.*payload is`));
    truncateSync(w.path, last + 5); // inside the header
    assert.throws(() => readEventFile(w.path), new RegExp(`truncated record at byte ${last}\\b.*header`));
    truncateSync(w.path, last); // on a record boundary: the records before are intact
    assert.equal(readEventFile(w.path).length, 2);
    assert.ok(readdirSync(dir).length === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
