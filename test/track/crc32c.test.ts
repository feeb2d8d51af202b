// CRC-32C against published vectors (RFC 3720 B.4 and the "123456789" check value) and TFRecord masking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, maskCrc, unmaskCrc } from '../../src/track/crc32c.js';

test('crc32c: known vectors', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c: a sub-range equals the CRC of the slice', () => {
  const b = new TextEncoder().encode('xx123456789yy');
  assert.equal(crc32c(b, 2, 11), 0xe3069283);
});

test('maskCrc: rotate right by 15 plus 0xa282ead8, mod 2^32; unmaskCrc inverts it', () => {
  const ref = (c: number) => Number((((BigInt(c) >> 15n) | (BigInt(c) << 17n)) + 0xa282ead8n) & 0xffffffffn);
  for (const c of [0, 1, 0xe3069283, 0x8a9136aa, 0xffffffff, 0x80000000, 0x12345678]) {
    assert.equal(maskCrc(c), ref(c), `mask 0x${c.toString(16)}`);
    assert.equal(unmaskCrc(maskCrc(c)), c);
  }
  assert.equal(maskCrc(0), 0xa282ead8);
  // the masked CRC of "123456789": (0xe3069283 rotr 15) + delta
  assert.equal(maskCrc(0xe3069283), ((((0xe3069283 >>> 15) | (0xe3069283 << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
});
