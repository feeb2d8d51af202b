// The hand-written protobuf wire encoder/decoder: exact bytes for the field kinds events use, and round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFields, ProtoWriter, read } from '../../src/track/protobuf.js';
import { encodeEvent } from '../../src/track/events.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('protobuf: varints, including 300 and negative int64', () => {
  assert.equal(hex(new ProtoWriter().int(1, 150).finish()), '089601');
  assert.equal(hex(new ProtoWriter().int(2, 300).finish()), '10ac02');
  assert.equal(hex(new ProtoWriter().int(2, -1).finish()), '10ffffffffffffffffff01');
  assert.equal(hex(new ProtoWriter().int(4, true).finish()), '2001');
  const [f] = decodeFields(new ProtoWriter().int(2, -5).finish());
  assert.equal(read.int64(f), -5);
  const [g] = decodeFields(new ProtoWriter().int(2, 2 ** 40 + 3).finish());
  assert.equal(read.int64(g), 2 ** 40 + 3);
});

test('protobuf: doubles, floats, strings, packed doubles', () => {
  assert.equal(hex(new ProtoWriter().double(1, 1).finish()), '09000000000000f03f');
  assert.equal(hex(new ProtoWriter().float(2, 1).finish()), '150000803f');
  assert.equal(hex(new ProtoWriter().string(1, 'hi').finish()), '0a026869');
  assert.equal(hex(new ProtoWriter().packedDoubles(6, []).finish()), '', 'empty repeated fields are left out');
  const fields = decodeFields(new ProtoWriter().packedDoubles(6, [1.5, -2]).string(3, 'é').float(2, 0.1).finish());
  assert.deepEqual(read.doubles(fields[0]), [1.5, -2]);
  assert.equal(read.string(fields[1]), 'é');
  assert.equal(read.float(fields[2]), Math.fround(0.1));
});

test('protobuf: malformed input is an error, not a guess', () => {
  assert.throws(() => decodeFields(Uint8Array.from([0x0a, 0x05, 0x61])), /runs past the end/);
  assert.throws(() => decodeFields(Uint8Array.from([0x08, 0x80])), /varint runs past/);
  assert.throws(() => decodeFields(Uint8Array.from([0x0b])), /wire type 3/);
  assert.throws(() => read.double(decodeFields(Uint8Array.from([0x08, 0x01]))[0]), /not a double/);
});

test('Event wire bytes: the tags TensorBoard expects', () => {
  // file_version event: wall_time (0x09 double), file_version (0x1a string)
  assert.equal(hex(encodeEvent({ wallTime: 1, step: 0, fileVersion: 'brain.Event:2', values: [] })),
    `09000000000000f03f1a0d${Buffer.from('brain.Event:2').toString('hex')}`);
  // scalar: step (0x10), summary (0x2a) { value (0x0a) { tag (0x0a) "a", simple_value (0x15) 1.0f } }
  assert.equal(hex(encodeEvent({ wallTime: 1, step: 3, values: [{ tag: 'a', simpleValue: 1 }] })),
    '09000000000000f03f' + '1003' + '2a0a' + '0a08' + '0a0161' + '150000803f');
});
