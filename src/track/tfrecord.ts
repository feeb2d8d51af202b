// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 LE length | uint32 LE masked CRC32C(length bytes) | payload | uint32 LE masked CRC32C(payload)
// The length has its own CRC so that a reader can trust it before allocating or skipping ahead.

import { crc32c, maskCrc } from './crc32c.js';

const HEADER = 12;
const FOOTER = 4;

/** One framed record, ready to append to a file. */
export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length + FOOTER);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(payload.length), true);
  dv.setUint32(8, maskCrc(crc32c(out, 0, 8)), true);
  out.set(payload, HEADER);
  dv.setUint32(HEADER + payload.length, maskCrc(crc32c(payload)), true);
  return out;
}

export interface TFRecord {
  /** byte offset of the record's header in the file */
  offset: number;
  payload: Uint8Array;
}

/** Splits a file's bytes into records, checking both CRCs; errors name the file (`label`) and the byte offset. */
export function* readRecords(buf: Uint8Array, label = 'TFRecord data'): Generator<TFRecord> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < HEADER) {
      throw new Error(`${label}: truncated record at byte ${at}: ${buf.length - at} bytes left, a record header needs ${HEADER}`);
    }
    const lengthCrc = dv.getUint32(at + 8, true);
    const wantLengthCrc = maskCrc(crc32c(buf, at, at + 8));
    if (lengthCrc !== wantLengthCrc) {
      throw new Error(`${label}: length CRC mismatch in the record at byte ${at} (stored 0x${hex(lengthCrc)}, computed 0x${hex(wantLengthCrc)}): the file is corrupt`);
    }
    const length = dv.getBigUint64(at, true);
    const left = BigInt(buf.length - at - HEADER - FOOTER);
    if (length > left) {
      throw new Error(`${label}: truncated record at byte ${at}: its payload is ${length} bytes but only ${left < 0n ? 0n : left} remain before the footer`);
    }
    const start = at + HEADER;
    const end = start + Number(length);
    const dataCrc = dv.getUint32(end, true);
    const wantDataCrc = maskCrc(crc32c(buf, start, end));
    if (dataCrc !== wantDataCrc) {
      throw new Error(`${label}: data CRC mismatch in the record at byte ${at} (payload bytes ${start}..${end}; stored 0x${hex(dataCrc)}, computed 0x${hex(wantDataCrc)}): the file is corrupt`);
    }
    yield { offset: at, payload: buf.subarray(start, end) };
    at = end + FOOTER;
  }
}

const hex = (n: number) => n.toString(16).padStart(8, '0');
